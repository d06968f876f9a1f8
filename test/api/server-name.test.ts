/**
 * Issue 10, defect 4: a client without a server name silently skipped the name check
 * (`connectTls(socket, { trustedRoots })` accepted a certificate for `evil.test`). Secure by
 * default, against Node's `tls` servers on loopback:
 * - over a socket or transport, `serverName` or `checkServerIdentity` is required: a TypeError
 *   before any byte is sent;
 * - `connectTls({ host, port })` opens the socket and checks `host` (an IP address against the
 *   certificate's IP SANs);
 * - `checkServerIdentity` is Node's escape hatch (`() => undefined` opts out explicitly; the
 *   chain is still validated).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect as netConnect } from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { connectTls } from "../../src/api/connect.js";
import { acquireTlsCredentials } from "../../src/api/credentials.js";
import { TlsContext } from "../../src/api/tls-context.js";
import { type IssuedCertificate, issueCertificate } from "../../src/devcert/certificates.js";
import { SspiError } from "../../src/sspi/sspi-error.js";
import { type Pki, pki, SocketChannel, tcpPair } from "./fixtures.js";

let p: Pki;
let evil: IssuedCertificate;
let local: IssuedCertificate;
let dnsOnly: IssuedCertificate;
const servers: tls.Server[] = [];

before(async () => {
  p = await pki();
  evil = await issueCertificate(p.ca, { commonName: "evil.test" });
  local = await issueCertificate(p.ca, {
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  dnsOnly = await issueCertificate(p.ca, { commonName: "localhost", dnsNames: ["localhost"] });
});

after(() => {
  for (const s of servers) s.close();
});

/** A Node `tls` server with `certificate` that answers "hello" and closes. */
async function nodeServer(certificate: IssuedCertificate): Promise<number> {
  const server = tls.createServer({ cert: certificate.certificate, key: certificate.privateKey });
  server.on("secureConnection", (s) => {
    s.on("error", () => {});
    s.end("hello");
  });
  server.on("tlsClientError", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

const roots = () => ({ trustedRoots: [p.ca.certificate] });

async function statusOf(promise: Promise<unknown>): Promise<string> {
  try {
    const stream = (await promise) as import("node:stream").Duplex;
    stream.destroy();
    return "SEC_E_OK";
  } catch (error) {
    if (error instanceof SspiError) return error.statusName;
    throw error;
  }
}

test("defect 4, no server name skipped the name check: connectTls(socket, { trustedRoots }) throws a TypeError before any byte is sent", {
  timeout: 30_000,
}, async () => {
  const pair = await tcpPair();
  let bytes = 0;
  pair.server.on("data", (d: Buffer) => {
    bytes += d.byteLength;
  });
  try {
    assert.throws(() => connectTls(pair.client, roots()), TypeError);
    assert.throws(() => connectTls(pair.client, { ...roots(), serverName: "" }), TypeError);
    assert.throws(() => connectTls(pair.client, { ...roots(), serverName: null }), TypeError);
    assert.throws(
      () => connectTls(pair.client, { ...roots(), checkServerIdentity: "no" as never }),
      TypeError,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(bytes, 0, "no ClientHello was sent");
  } finally {
    await pair.close();
  }
  // What the reviewer saw: a trusted certificate for evil.test was accepted with no name given.
  const port = await nodeServer(evil);
  const socket = netConnect(port, "127.0.0.1");
  let outcome: string;
  try {
    outcome = await statusOf(connectTls(socket, roots()));
  } catch (error) {
    outcome = (error as Error).name;
  } finally {
    socket.destroy();
  }
  assert.equal(outcome, "TypeError");
});

test("defect 4, connectTls({ host, port }) opens the socket and checks host: a name, an IP address against IP SANs", {
  timeout: 60_000,
}, async () => {
  const localPort = await nodeServer(local);
  const evilPort = await nodeServer(evil);
  const dnsOnlyPort = await nodeServer(dnsOnly);
  // A DNS name: sent as SNI and matched.
  const ok = await connectTls({ host: "localhost", port: localPort, ...roots() });
  assert.equal(ok.context.peerCertificate?.subject, "CN=localhost");
  let text = "";
  ok.on("data", (d: Buffer) => {
    text += d.toString();
  });
  await once(ok, "end");
  assert.equal(text, "hello");
  ok.destroy();
  assert.equal(
    await statusOf(connectTls({ host: "localhost", port: evilPort, ...roots() })),
    "SEC_E_WRONG_PRINCIPAL",
  );
  // An IP address: matched against the IP address SANs.
  assert.equal(await statusOf(connectTls({ host: "127.0.0.1", port: localPort, ...roots() })), "SEC_E_OK");
  assert.equal(
    await statusOf(connectTls({ host: "127.0.0.1", port: dnsOnlyPort, ...roots() })),
    "SEC_E_WRONG_PRINCIPAL",
  );
  // serverName overrides host.
  assert.equal(
    await statusOf(connectTls({ host: "127.0.0.1", port: dnsOnlyPort, serverName: "localhost", ...roots() })),
    "SEC_E_OK",
  );
  // The chain is still validated.
  assert.equal(
    await statusOf(connectTls({ host: "localhost", port: localPort, trustedRoots: [p.rogueCa.certificate] })),
    "SEC_E_UNTRUSTED_ROOT",
  );
  // Nothing listening: the socket's own error.
  const closed = await new Promise<number>((resolve) => {
    const probe = tls.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
  await assert.rejects(connectTls({ host: "127.0.0.1", port: closed, ...roots() }), { code: "ECONNREFUSED" });
  // A bad port is a TypeError at once.
  assert.throws(() => connectTls({ host: "localhost", port: 0 }), TypeError);
});

test("defect 4, checkServerIdentity is the explicit escape hatch: () => undefined accepts any name, an Error rejects, the chain is still validated", {
  timeout: 60_000,
}, async () => {
  const evilPort = await nodeServer(evil);
  const over = () => netConnect(evilPort, "127.0.0.1");
  // Explicit opt-out: the evil.test certificate chains to a trusted root and is accepted.
  assert.equal(
    await statusOf(connectTls(over(), { ...roots(), checkServerIdentity: () => undefined })),
    "SEC_E_OK",
  );
  // Node's own check, called with the certificate: rejects with Node's error.
  const seen: string[] = [];
  await assert.rejects(
    connectTls(over(), {
      ...roots(),
      checkServerIdentity: (hostname, certificate) => {
        seen.push(`${hostname}|${certificate.subject?.CN}`);
        return tls.checkServerIdentity("server.test", certificate);
      },
    }),
    { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
  );
  assert.deepEqual(seen, ["|evil.test"]);
  // With a serverName the function runs in addition to the built-in check, never instead of it.
  assert.equal(
    await statusOf(
      connectTls(over(), { ...roots(), serverName: "server.test", checkServerIdentity: () => undefined }),
    ),
    "SEC_E_WRONG_PRINCIPAL",
  );
  // The chain is still validated.
  assert.equal(
    await statusOf(
      connectTls(over(), { trustedRoots: [p.rogueCa.certificate], checkServerIdentity: () => undefined }),
    ),
    "SEC_E_UNTRUSTED_ROOT",
  );
});

test("defect 4 (token API): a client TlsContext needs serverName — none is a TypeError; null opts out explicitly", {
  timeout: 30_000,
}, async () => {
  await using credentials = await acquireTlsCredentials({ role: "client", ...roots() });
  assert.throws(() => new TlsContext(credentials), TypeError);
  assert.throws(() => new TlsContext(credentials, { alpn: ["h2"] }), TypeError);
  assert.throws(() => new TlsContext(credentials, { serverName: "" }), TypeError);
  const pair = await tcpPair();
  const node = tls.createServer({ cert: evil.certificate, key: evil.privateKey });
  node.on("secureConnection", (s) => s.end());
  node.on("tlsClientError", () => {});
  node.emit("connection", pair.server);
  try {
    // Explicit null: the evil.test certificate from a trusted root passes, as the caller asked.
    await using context = new TlsContext(credentials, { serverName: null });
    await context.handshake(new SocketChannel(pair.client));
    assert.equal(context.peerCertificate?.subject, "CN=evil.test");
  } finally {
    await pair.close();
    node.close();
  }
});
