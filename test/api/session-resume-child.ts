/**
 * Child process of session-resumption.test.ts: a second process that resumes from a session
 * blob its parent passed over. Connects with its own credentials (the trusted CA from the
 * environment), reads to the end and prints what the connection reports as JSON.
 */
import { connectTls } from "../../src/api/connect.js";
import { childOnly } from "../support/child.js";

childOnly();
const { SESSION_HEX, CA_PEM, PORT, SERVER_NAME } = process.env;
const stream = await connectTls({
  host: "127.0.0.1",
  port: Number(PORT),
  servername: SERVER_NAME ?? "server.test",
  ca: CA_PEM ?? "",
  session: Buffer.from(SESSION_HEX ?? "", "hex"),
});
const report = {
  reused: stream.isSessionReused(),
  protocol: stream.getProtocol(),
  peer: stream.context.peerCertificate?.subject ?? null,
  legacyPeer: (stream.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN ?? null,
  body: "",
};
for await (const chunk of stream) report.body += String(chunk);
process.stdout.write(JSON.stringify(report));
