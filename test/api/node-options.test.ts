/**
 * Issue 12, item 3: Node's option names as first-class aliases, PEM as string or Buffer, single
 * values for lists, unknown options refused with a "did you mean", errors in the caller's terms.
 * Before the fix: `ca`/`cert`/`rejectUnauthorized` were silently ignored, `alpn: "http/1.1"`
 * was taken apart character by character, and errors named `paCred`.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { acceptTls, connectTls } from "../../src/api/connect.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { createTlsServer, type TlsServer } from "../../src/api/tls-server.js";
import { type Pki, pki, tcpPair } from "./fixtures.js";

let p: Pki;
const servers: Array<tls.Server | TlsServer> = [];
before(async () => {
  p = await pki();
});
after(() => {
  for (const s of servers) s.close();
});

async function nodeServer(options: tls.TlsOptions): Promise<number> {
  const server = tls.createServer(
    { cert: p.server.certificate, key: p.server.privateKey, ...options },
    (s) => {
      s.on("error", () => {});
      s.end(`${s.getProtocol()} ${s.alpnProtocol}`);
    },
  );
  server.on("tlsClientError", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

test("connectTls takes Node's names: servername, ca (a Buffer), ALPNProtocols, maxVersion", async () => {
  const port = await nodeServer({ ALPNProtocols: ["h2", "http/1.1"] });
  const stream = await connectTls({
    host: "127.0.0.1",
    port,
    servername: "server.test",
    ca: Buffer.from(p.ca.certificate),
    ALPNProtocols: ["http/1.1"],
    maxVersion: "TLSv1.2",
  });
  assert.equal(stream.alpnProtocol, "http/1.1");
  assert.equal(await text(stream), "TLSv1.2 http/1.1");
});

test('a single string where a list is expected: alpn: "http/1.1", ca: "PEM"', async () => {
  const port = await nodeServer({ ALPNProtocols: ["h2", "http/1.1"] });
  const stream = await connectTls({
    host: "127.0.0.1",
    port,
    serverName: "server.test",
    ca: p.ca.certificate,
    alpn: "http/1.1",
  });
  assert.equal(await text(stream), "TLSv1.3 http/1.1");
});

test("createTlsServer takes cert/key as PEM Buffers, ALPNProtocols, requestCert + ca; Node's tls client", async () => {
  const server = createTlsServer(
    {
      cert: Buffer.from(p.server.certificate),
      key: Buffer.from(p.server.privateKey),
      ALPNProtocols: "http/1.1",
      requestCert: true,
      ca: Buffer.from(p.ca.certificate),
    },
    (stream) => {
      const subject = (stream.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN;
      stream.end(`${stream.alpnProtocol} ${subject}`);
    },
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  const client = tls.connect({
    port: (server.address() as AddressInfo).port,
    host: "127.0.0.1",
    servername: "server.test",
    ca: p.ca.certificate,
    cert: p.client.certificate,
    key: p.client.privateKey,
    ALPNProtocols: ["http/1.1"],
  });
  assert.equal(await text(client), "http/1.1 client.test");
});

test("acceptTls and acquireTlsCredentials take PEM as a Buffer for certificates and keys", async () => {
  const credentials = await acquireTlsCredentials({
    role: "server",
    certificates: [
      { certificate: Buffer.from(p.server.certificate), privateKey: Buffer.from(p.server.privateKey) },
    ],
  });
  await credentials.close();
  const pair = await tcpPair();
  try {
    const accepted = acceptTls(pair.server, {
      cert: Buffer.from(p.server.certificate),
      key: Buffer.from(p.server.privateKey),
    });
    const client = await connectTls(pair.client, {
      servername: "server.test",
      ca: [Buffer.from(p.ca.certificate)],
    });
    const server = await accepted;
    server.end("ok");
    assert.equal(await text(client), "ok");
  } finally {
    await pair.close();
  }
});

test("rejectUnauthorized: false completes against an untrusted server, authorized false, as Node's", async () => {
  const port = await nodeServer({ cert: p.rogueServer.certificate, key: p.rogueServer.privateKey });
  const node = tls.connect({
    port,
    host: "127.0.0.1",
    servername: "server.test",
    ca: p.ca.certificate,
    rejectUnauthorized: false,
  });
  await once(node, "secureConnect");
  const stream = await connectTls({
    host: "127.0.0.1",
    port,
    servername: "server.test",
    ca: p.ca.certificate,
    rejectUnauthorized: false,
  });
  assert.equal(stream.authorized, node.authorized);
  assert.equal(stream.authorized, false);
  assert.equal(stream.authorizationError, String(node.authorizationError));
  node.destroy();
  stream.destroy();
});

test("an unknown option is a TypeError naming it, with a did-you-mean", async () => {
  const bad = (options: object) => () => connectTls({ host: "127.0.0.1", port: 1, ...options } as never);
  assert.throws(bad({ serverNmae: "x" }), {
    name: "TypeError",
    message: /unknown option "serverNmae" — did you mean "serverName"\?/,
  });
  assert.throws(bad({ rejectUnauthorised: false }), { message: /did you mean "rejectUnauthorized"/ });
  assert.throws(bad({ session: Buffer.alloc(1) }), {
    name: "TypeError",
    message: /options\.session: not a session from getSession\(\)/,
  });
  await assert.rejects(acquireTlsCredentials({ role: "server", certs: [] } as never), {
    name: "TypeError",
    message: /"certs"/,
  });
  assert.throws(() => createTlsServer({ keys: "x" } as never), {
    name: "TypeError",
    message: /did you mean "key"/,
  });
});

test("errors name the options the caller wrote, never SSPI fields (paCred, hRootStore)", async () => {
  await assert.rejects(acquireTlsCredentials({ role: "server" }), (e: Error) => {
    assert.doesNotMatch(e.message, /paCred|hRootStore/);
    assert.match(e.message, /certificates \(cert\/key\/pfx\)/);
    return true;
  });
  await assert.rejects(
    acquireTlsCredentials({ role: "server", certificates: [{ pfx: "not bytes" }] } as never),
    (e: Error) => {
      assert.doesNotMatch(e.message, /paCred/);
      assert.match(e.message, /certificates\[0\]\.pfx must be a Uint8Array/);
      return true;
    },
  );
  await assert.rejects(
    acquireTlsCredentials({ role: "server", alpn: [""], cert: "x", key: "y" }),
    (e: Error) => {
      assert.doesNotMatch(e.message, /rgstrAlpnIds|pTlsParameters/);
      return true;
    },
  );
});
