import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { createDevelopmentCertificate } from "../../../src/devcert/certificates.js";
import { type ClientHelloInfo, parseClientHello } from "../../../src/schannel/records/client-hello.js";
import type { HelloParseFailure } from "../../../src/schannel/records/handshake-reader.js";
import {
  closeTls,
  listenTls,
  nodeClientHello,
  opensslClientHello,
  startOpenssl,
  stopProcess,
  until,
} from "./capture.js";

/** A port that was free a moment ago (openssl s_server block-buffers the port it prints). */
async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const port = (probe.address() as net.AddressInfo).port;
  probe.close();
  await once(probe, "close");
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitForListener(port: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const socket = net.connect(port, "127.0.0.1");
    const connected = await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("error", () => resolve(false));
    });
    socket.destroy();
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nothing listens on ${port}`);
}

function ok(result: ClientHelloInfo | HelloParseFailure): ClientHelloInfo {
  if ("error" in result) assert.fail(`expected a ClientHello, got ${result.error}`);
  return result;
}

const names = (list: readonly { name: string | undefined }[] | undefined) => list?.map((x) => x.name);

describe("parseClientHello on Node's tls.connect", () => {
  it("reads SNI, ALPN, versions, groups, key share, suites and signature schemes as configured", async () => {
    const bytes = await nodeClientHello({
      servername: "inspect.example.test",
      ALPNProtocols: ["h2", "http/1.1"],
      ciphers: "TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA",
      ecdhCurve: "X25519:P-384",
      sigalgs: "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:ed25519",
      minVersion: "TLSv1.2",
    });
    const hello = ok(parseClientHello(bytes));
    assert.equal(hello.serverName, "inspect.example.test");
    assert.deepEqual(hello.alpnProtocols, ["h2", "http/1.1"]);
    assert.equal(hello.legacyVersion, 0x0303);
    assert.equal(hello.highestVersion, 0x0304);
    assert.deepEqual(names(hello.supportedVersions), ["TLS 1.3", "TLS 1.2"]);
    assert.deepEqual(names(hello.supportedGroups), ["x25519", "secp384r1"]);
    assert.deepEqual(names(hello.keyShareGroups), ["x25519"]);
    // RFC 5746 lets a client signal secure renegotiation either way: OpenSSL 3.0 (Node 20) appends
    // the SCSV to the suites, OpenSSL 3.5 (Node 24) sends an empty renegotiation_info extension.
    // Exactly one of them, and the suites are otherwise the configured ones, in order.
    const scsv = hello.cipherSuites.some((s) => s.id === 0x00ff);
    const renegotiationInfo = names(hello.extensions)?.includes("renegotiation_info") === true;
    assert.notEqual(scsv, renegotiationInfo, "secure renegotiation signalled once");
    assert.deepEqual(names(hello.cipherSuites), [
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
      ...(scsv ? ["TLS_EMPTY_RENEGOTIATION_INFO_SCSV"] : []),
    ]);
    assert.deepEqual(
      hello.cipherSuites.map((s) => s.id),
      [0x1303, 0xc02b, 0xc014, ...(scsv ? [0x00ff] : [])],
    );
    assert.deepEqual(names(hello.signatureAlgorithms), [
      "ecdsa_secp256r1_sha256",
      "rsa_pss_rsae_sha256",
      "ed25519",
    ]);
    assert.deepEqual(hello.compressionMethods, [0]);
    assert.equal(hello.random.length, 32);
    assert.equal(hello.pskOffered, false);
    assert.equal(hello.earlyDataOffered, false);
    assert.deepEqual(hello.pskKeyExchangeModes, [1]);
    assert.equal(hello.length, bytes.length);
    assert.ok(names(hello.extensions)?.includes("key_share"));
    // The random is a copy, not a view into the input.
    assert.notEqual(hello.random.buffer, bytes.buffer);
  });

  it("reads a TLS 1.2-only hello (no supported_versions, no key_share)", async () => {
    const bytes = await nodeClientHello({ servername: "v12.test", maxVersion: "TLSv1.2" });
    const hello = ok(parseClientHello(bytes));
    assert.equal(hello.serverName, "v12.test");
    assert.equal(hello.supportedVersions, undefined);
    assert.equal(hello.keyShareGroups, undefined);
    assert.equal(hello.highestVersion, 0x0303);
    assert.equal(hello.alpnProtocols, undefined);
    assert.ok(hello.cipherSuites.every((s) => s.id < 0x1301 || s.id > 0x1305));
  });

  it("reports no SNI when the client connects by IP address", async () => {
    const hello = ok(parseClientHello(await nodeClientHello({})));
    assert.equal(hello.serverName, undefined);
  });
});

describe("parseClientHello on resumption hellos from Node", () => {
  let server: tls.Server;
  let port = 0;
  const connections = new Set<import("node:net").Socket>();
  let ca = "";

  before(async () => {
    const dev = await createDevelopmentCertificate();
    ca = dev.ca.certificate;
    server = tls.createServer({ key: dev.server.privateKey, cert: dev.server.certificate }, (s) => {
      connections.add(s);
      s.on("error", () => {});
      s.on("close", () => connections.delete(s));
      s.end("hi");
    });
    port = await listenTls(server);
  });
  after(async () => closeTls(server, connections));

  async function sessionFrom(options: tls.ConnectionOptions): Promise<Buffer> {
    const client = tls.connect({ ...options, host: "127.0.0.1", port, ca, servername: "localhost" });
    client.on("error", () => {});
    let session: Buffer | undefined;
    client.on("session", (s: Buffer) => {
      session = s;
    });
    client.resume();
    await until(() => session !== undefined);
    client.destroy();
    if (!client.closed) await once(client, "close");
    return session!;
  }

  it("sees pre_shared_key (last) and psk_key_exchange_modes on a TLS 1.3 resumption", async () => {
    const session = await sessionFrom({});
    const hello = ok(parseClientHello(await nodeClientHello({ session, servername: "localhost" })));
    assert.equal(hello.pskOffered, true);
    assert.equal(hello.pskIdentities, 1);
    assert.deepEqual(hello.pskKeyExchangeModes, [1]);
    assert.equal(hello.extensions.at(-1)?.name, "pre_shared_key");
    assert.equal(hello.earlyDataOffered, false);
  });

  it("sees a non-empty session_ticket on a TLS 1.2 resumption", async () => {
    const session = await sessionFrom({ maxVersion: "TLSv1.2" });
    const hello = ok(
      parseClientHello(await nodeClientHello({ session, servername: "localhost", maxVersion: "TLSv1.2" })),
    );
    assert.equal(hello.sessionTicketOffered, true);
    assert.equal(hello.pskOffered, false);
  });
});

describe("parseClientHello on openssl s_client", () => {
  it("-tls1_2 with -servername, -alpn and -groups", async () => {
    const bytes = await opensslClientHello([
      "-servername",
      "x.example",
      "-alpn",
      "h2,http/1.1",
      "-groups",
      "X25519:P-384:P-521",
      "-tls1_2",
    ]);
    const hello = ok(parseClientHello(bytes));
    assert.equal(hello.serverName, "x.example");
    assert.deepEqual(hello.alpnProtocols, ["h2", "http/1.1"]);
    assert.deepEqual(names(hello.supportedGroups), ["x25519", "secp384r1", "secp521r1"]);
    assert.equal(hello.supportedVersions, undefined);
    assert.equal(hello.highestVersion, 0x0303);
    assert.deepEqual(hello.sessionId, new Uint8Array(0));
  });

  it("TLS 1.3 with -groups: the key share is for the first group; ffdhe and x448 are named", async () => {
    const bytes = await opensslClientHello([
      "-servername",
      "y.example",
      "-alpn",
      "http/1.1",
      "-groups",
      "P-256:X448:ffdhe2048:ffdhe4096",
    ]);
    const hello = ok(parseClientHello(bytes));
    assert.equal(hello.serverName, "y.example");
    assert.deepEqual(hello.alpnProtocols, ["http/1.1"]);
    assert.deepEqual(names(hello.supportedGroups), ["secp256r1", "x448", "ffdhe2048", "ffdhe4096"]);
    assert.deepEqual(names(hello.keyShareGroups), ["secp256r1"]);
    assert.equal(names(hello.supportedVersions)?.[0], "TLS 1.3");
    assert.equal(hello.sessionId.length, 32); // middlebox compatibility mode
  });

  it("-ciphersuites, -cipher and -sigalgs", async () => {
    const bytes = await opensslClientHello([
      "-ciphersuites",
      "TLS_AES_256_GCM_SHA384:TLS_AES_128_CCM_SHA256",
      "-cipher",
      "ECDHE-RSA-CHACHA20-POLY1305:AES256-SHA256",
      "-sigalgs",
      "rsa_pss_rsae_sha384:ecdsa_secp521r1_sha512:ed448",
      "-servername",
      "z.example",
    ]);
    const hello = ok(parseClientHello(bytes));
    assert.deepEqual(names(hello.cipherSuites), [
      "TLS_AES_256_GCM_SHA384",
      "TLS_AES_128_CCM_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_RSA_WITH_AES_256_CBC_SHA256",
      "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
    ]);
    assert.deepEqual(names(hello.signatureAlgorithms), [
      "rsa_pss_rsae_sha384",
      "ecdsa_secp521r1_sha512",
      "ed448",
    ]);
  });

  it("-early_data with a saved session offers early_data and a PSK", async () => {
    const dir = await mkdtemp(join(tmpdir(), "async-sspi-early-"));
    const dev = await createDevelopmentCertificate();
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    const sessFile = join(dir, "sess.pem");
    const dataFile = join(dir, "early.txt");
    await writeFile(certFile, dev.server.certificate);
    await writeFile(keyFile, dev.server.privateKey);
    await writeFile(dataFile, "GET / HTTP/1.0\r\n\r\n");
    const serverPort = await freePort();
    const server = startOpenssl([
      "s_server",
      "-accept",
      `127.0.0.1:${serverPort}`,
      "-cert",
      certFile,
      "-key",
      keyFile,
      "-early_data",
      "-tls1_3",
    ]);
    try {
      await waitForListener(serverPort);
      const first = startOpenssl(["s_client", "-connect", `127.0.0.1:${serverPort}`, "-sess_out", sessFile]);
      try {
        await until(() => existsSync(sessFile) && statSync(sessFile).size > 0);
      } finally {
        await stopProcess(first.child);
      }
      const bytes = await opensslClientHello(["-sess_in", sessFile, "-early_data", dataFile]);
      const hello = ok(parseClientHello(bytes));
      assert.equal(hello.earlyDataOffered, true);
      assert.equal(hello.pskOffered, true);
      assert.equal(hello.extensions.at(-1)?.name, "pre_shared_key");
    } finally {
      await stopProcess(server.child);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("parseClientHello failures", () => {
  let real: Uint8Array;
  before(async () => {
    real = await nodeClientHello({ servername: "fail.test", ALPNProtocols: ["h2"] });
  });

  it("every strict prefix of a real hello is incomplete, with a missing count that never overshoots", () => {
    for (let k = 0; k < real.length; k++) {
      const r = parseClientHello(real.subarray(0, k));
      assert.ok("error" in r && r.incomplete, `prefix ${k}: ${JSON.stringify(r)}`);
      assert.ok(r.missing > 0 && k + r.missing <= real.length, `prefix ${k}: missing ${r.missing}`);
    }
    // Once the header is there, the count is exact for a single-record hello.
    const r = parseClientHello(real.subarray(0, 9));
    assert.ok("error" in r && r.missing === real.length - 9);
  });

  it("says 'not TLS' without an alert for an HTTP request and an SSL 2.0 hello", () => {
    const http = parseClientHello(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.ok("error" in http && !http.incomplete && http.alert === undefined, JSON.stringify(http));
    const sslv2 = parseClientHello(Uint8Array.from([0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15]));
    assert.ok("error" in sslv2 && /SSL 2\.0/.test(sslv2.error));
  });

  it("rejects an alert record, a zero-length fragment, an oversized fragment and a ServerHello", () => {
    const alert = parseClientHello(Uint8Array.from([21, 3, 3, 0, 2, 2, 40]));
    assert.ok("error" in alert && alert.alert === "unexpected_message");
    const empty = parseClientHello(Uint8Array.from([22, 3, 1, 0, 0]));
    assert.ok("error" in empty && empty.alert === "unexpected_message");
    const big = new Uint8Array(5 + 16385);
    big.set([22, 3, 1, 0x40, 0x01, 1, 0, 0x3f, 0xfd]);
    const overflow = parseClientHello(big);
    assert.ok("error" in overflow && overflow.alert === "record_overflow", JSON.stringify(overflow));
    const wrongType = real.slice();
    wrongType[5] = 2;
    const sh = parseClientHello(wrongType);
    assert.ok("error" in sh && sh.alert === "unexpected_message" && /server_hello/.test(sh.error));
  });

  it("rejects a hello with trailing bytes inside the message", () => {
    // Grow the handshake and record lengths by one and append a byte after the extensions.
    const grown = new Uint8Array(real.length + 1);
    grown.set(real);
    const recordLength = ((real[3]! << 8) | real[4]!) + 1;
    grown[3] = recordLength >> 8;
    grown[4] = recordLength & 0xff;
    const hsLength = ((real[6]! << 16) | (real[7]! << 8) | real[8]!) + 1;
    grown[6] = hsLength >> 16;
    grown[7] = (hsLength >> 8) & 0xff;
    grown[8] = hsLength & 0xff;
    const r = parseClientHello(grown);
    assert.ok("error" in r && r.alert === "decode_error", JSON.stringify(r));
  });
});
