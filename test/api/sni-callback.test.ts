/**
 * Issue 12: `SNICallback` on `createTlsServer`/`acceptTls`. The server reads the ClientHello,
 * asks the callback for the credentials of the name the client sent and serves the connection
 * with them — checked with Node's `tls` client, curl `--resolve` and `openssl s_client
 * -servername`. No SNI: the server's own credentials, without calling back. A callback error,
 * a throw or something that is not credentials: `unrecognized_name` to the client, the error as
 * `'tlsClientError'`, and the server keeps serving.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { type AddressInfo, connect as netConnect, createServer as netCreateServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import tls from "node:tls";
import { acceptTls } from "../../src/api/connect.js";
import { acquireTlsCredentials, type TlsCredentials } from "../../src/api/credentials.js";
import type { SniCallback } from "../../src/api/sni-callback.js";
import { createTlsServer, type TlsServer } from "../../src/api/tls-server.js";
import type { SspiTlsStream } from "../../src/api/tls-stream.js";
import { type IssuedCertificate, issueCertificate } from "../../src/devcert/certificates.js";
import { requireBinary, runProcess, tempDir } from "../cli/serve-support.js";
import { type Pki, pki } from "./fixtures.js";

let p: Pki;
let example: IssuedCertificate;
let options: IssuedCertificate;
let exampleCredentials: TlsCredentials;
let clientCredentials: TlsCredentials;
let server: TlsServer;
let port: number;
const asked: string[] = [];
const clientErrors: Error[] = [];

/** A minimal HTTP answer, so curl and openssl have something to read. */
function answer(stream: SspiTlsStream): void {
  stream.once("data", () =>
    stream.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
  );
}

const sniCallback: SniCallback = (name, cb) => {
  asked.push(name);
  if (name === "example.test") return cb(null, exampleCredentials);
  if (name === "options.test") return cb(null, { cert: options.certificate, key: options.privateKey });
  if (name === "refused.test") return cb(new Error("no certificate for refused.test"));
  if (name === "throws.test") throw new Error("the callback threw");
  if (name === "client.test") return cb(null, clientCredentials);
  cb(null);
};

before(async () => {
  p = await pki();
  example = await issueCertificate(p.ca, { commonName: "example.test" });
  options = await issueCertificate(p.ca, { commonName: "options.test" });
  exampleCredentials = await acquireTlsCredentials({
    role: "server",
    cert: example.certificate,
    key: example.privateKey,
  });
  clientCredentials = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
  server = createTlsServer(
    { cert: p.server.certificate, key: p.server.privateKey, SNICallback: sniCallback },
    answer,
  );
  server.on("tlsClientError", (error: Error) => clientErrors.push(error));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server?.closeAllConnections();
  server?.close();
  await exampleCredentials?.close();
  await clientCredentials?.close();
});

/** Node's tls client: the subject CN of the certificate it was served, and the body. */
async function nodeClient(connect: tls.ConnectionOptions): Promise<{ cn: string | undefined; body: string }> {
  const socket = tls.connect({ host: "127.0.0.1", port, ca: p.ca.certificate, ...connect });
  await once(socket, "secureConnect");
  const cn = socket.getPeerCertificate().subject?.CN as string | undefined;
  socket.end("GET / HTTP/1.1\r\n\r\n");
  let body = "";
  for await (const chunk of socket) body += String(chunk);
  return { cn, body };
}

test("Node's tls client: each name gets the credentials the callback chose (TlsCredentials, an options object, the default)", async () => {
  assert.equal((await nodeClient({ servername: "example.test" })).cn, "example.test");
  assert.equal((await nodeClient({ servername: "options.test" })).cn, "options.test");
  assert.equal((await nodeClient({ servername: "server.test" })).cn, "server.test");
  assert.deepEqual(asked.slice(-3), ["example.test", "options.test", "server.test"]);
});

test("no SNI: the server's own credentials, and the callback is not called", async () => {
  const before = asked.length;
  // An IP address as host sends no SNI; the certificate is checked by hand below.
  const r = await nodeClient({ checkServerIdentity: () => undefined });
  assert.equal(r.cn, "server.test");
  assert.equal(asked.length, before, "no SNI, no call");
});

test("curl --resolve: the name's certificate validates", async (t) => {
  if (!requireBinary(t, "curl", "apt-get install -y curl")) return;
  const dir = tempDir();
  try {
    const caFile = join(dir.path, "ca.pem");
    writeFileSync(caFile, p.ca.certificate);
    const r = await runProcess(
      "curl",
      [
        "-sS",
        "-m",
        "10",
        "--cacert",
        caFile,
        "--resolve",
        `example.test:${port}:127.0.0.1`,
        `https://example.test:${port}/`,
      ],
      { timeoutMs: 15_000 },
    );
    assert.equal(r.code, 0, `the example.test certificate validated: ${r.stderr}`);
    assert.equal(r.stdout, "ok");
  } finally {
    dir.remove();
  }
});

test("openssl s_client -servername: the chosen certificate, verified", async (t) => {
  if (!requireBinary(t, "openssl", "apt-get install -y openssl")) return;
  const dir = tempDir();
  try {
    const caFile = join(dir.path, "ca.pem");
    writeFileSync(caFile, p.ca.certificate);
    const r = await runProcess(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "options.test",
        "-CAfile",
        caFile,
        "-verify_return_error",
        "-quiet",
      ],
      { input: "GET / HTTP/1.1\r\n\r\n", timeoutMs: 15_000 },
    );
    assert.match(r.stderr, /CN ?= ?options\.test/);
    assert.match(r.stderr, /verify return:1/);
    assert.match(r.stdout, /\r\n\r\nok$/);
  } finally {
    dir.remove();
  }
});

for (const [name, expected] of [
  ["refused.test", /no certificate for refused\.test/],
  ["throws.test", /the callback threw/],
  ["client.test", /client credentials/],
] as const) {
  test(`SNICallback failure (${name}): unrecognized_name to the client, 'tlsClientError' with the error, the server keeps serving`, async () => {
    const errorsBefore = clientErrors.length;
    await assert.rejects(nodeClient({ servername: name }), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_SSL_TLSV1_UNRECOGNIZED_NAME", error.message);
      return true;
    });
    // The client saw the alert; the server's event follows within a few turns (bounded wait).
    for (let i = 0; i < 400 && clientErrors.length === errorsBefore; i++) await delay(5);
    assert.match(clientErrors.at(-1)!.message, expected);
    assert.equal((await nodeClient({ servername: "example.test" })).cn, "example.test");
  });
}

test("a plain-HTTP probe with SNICallback set: ERR_SSL_HTTP_REQUEST as without it, and no call", async () => {
  const before = asked.length;
  const errorsBefore = clientErrors.length;
  const socket = netConnect(port, "127.0.0.1");
  socket.end("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
  socket.resume();
  await once(socket, "close");
  for (let i = 0; i < 400 && clientErrors.length === errorsBefore; i++) await delay(5);
  assert.equal((clientErrors.at(-1) as Error & { code?: string }).code, "ERR_SSL_HTTP_REQUEST");
  assert.equal(asked.length, before);
});

test("acceptTls takes SNICallback too; SNICallback is checked up front", async () => {
  const tcp = netCreateServer((socket) => {
    acceptTls(socket, {
      cert: p.server.certificate,
      key: p.server.privateKey,
      SNICallback: sniCallback,
    }).then(answer, () => {});
  });
  tcp.listen(0, "127.0.0.1");
  await once(tcp, "listening");
  try {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: (tcp.address() as AddressInfo).port,
      servername: "example.test",
      ca: p.ca.certificate,
    });
    await once(socket, "secureConnect");
    assert.equal(socket.getPeerCertificate().subject?.CN, "example.test");
    socket.destroy();
  } finally {
    tcp.close();
  }
  assert.throws(
    () =>
      createTlsServer({ cert: p.server.certificate, key: p.server.privateKey, SNICallback: "x" as never }),
    TypeError,
  );
});
