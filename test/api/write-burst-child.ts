/**
 * Child process of write-burst.test.ts: 200,000 one-byte `write()` calls on an `SspiTlsStream`
 * connected to Node's `tls` server, made synchronously so that all but the first reach
 * `_writev` together. Prints what the server received.
 */
import { once } from "node:events";
import { type AddressInfo, connect } from "node:net";
import tls from "node:tls";
import { connectTls } from "../../src/api/connect.js";
import { pki } from "../api/fixtures.js";
import { childOnly } from "../support/child.js";

childOnly();
const WRITES = 200_000;
const p = await pki();
const server = tls.createServer({ cert: p.server.certificate, key: p.server.privateKey });
server.on("secureConnection", (s) => {
  let received = 0;
  s.on("data", (d: Buffer) => {
    received += d.byteLength;
  });
  s.on("end", () => s.end(String(received)));
});
server.listen(0, "127.0.0.1");
await once(server, "listening");
const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
const stream = await connectTls(socket, { serverName: "server.test", trustedRoots: [p.ca.certificate] });
const answer: Buffer[] = [];
stream.on("data", (d: Buffer) => answer.push(d));
const one = Buffer.from("x");
for (let i = 0; i < WRITES; i++) stream.write(one);
stream.end();
await once(stream, "end");
console.log(`server received ${Buffer.concat(answer).toString()} bytes`);
server.close();
process.exit(0);
