import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { once } from "node:events";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { createDevelopmentCertificate } from "../../../src/devcert/certificates.js";
import { type ClientHelloInfo, parseClientHello } from "../../../src/schannel/records/client-hello.js";
import { formatRecordTrace } from "../../../src/schannel/records/describe.js";
import {
  findServerRandom,
  HELLO_RETRY_REQUEST_RANDOM,
  parseServerHello,
  type ServerHelloInfo,
} from "../../../src/schannel/records/server-hello.js";
import { closeTls, listenTls, startOpenssl, startRelay, stopProcess, until } from "./capture.js";

function ok<T extends object>(result: T | { error: string }): T {
  if ("error" in result) assert.fail(`expected a hello, got ${result.error}`);
  return result;
}

/** The RFC 5705 exporter without a context (Node's typings require one; the runtime does not). */
function exportWithoutContext(socket: tls.TLSSocket): Buffer {
  const exportKeyingMaterial = socket.exportKeyingMaterial as (length: number, label: string) => Buffer;
  return exportKeyingMaterial.call(socket, 32, "EXPERIMENTAL async-sspi");
}

/** TLS 1.2 PRF with HMAC-SHA256 (RFC 5246 §5). */
function prf12(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, "latin1"), seed]);
  const out: Buffer[] = [];
  let a = labelSeed;
  let have = 0;
  while (have < length) {
    a = createHmac("sha256", secret).update(a).digest();
    const block = createHmac("sha256", secret).update(a).update(labelSeed).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The RFC 5705 exporter computed from a keylog master secret and the randoms (no context). */
function exporter12(
  master: Buffer,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
): Buffer {
  return prf12(master, label, Buffer.concat([clientRandom, serverRandom]), 32);
}

/** Parses `CLIENT_RANDOM <client random> <master secret>` keylog lines. */
function masterSecrets(lines: string[]): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (const line of lines) {
    const m = /^CLIENT_RANDOM ([0-9a-f]{64}) ([0-9a-f]{96})$/i.exec(line.trim());
    if (m) map.set(m[1]!.toLowerCase(), Buffer.from(m[2]!, "hex"));
  }
  return map;
}

describe("parseServerHello and findServerRandom on real handshakes", () => {
  let ca = "";
  let key = "";
  let cert = "";

  before(async () => {
    const dev = await createDevelopmentCertificate();
    ca = dev.ca.certificate;
    key = dev.server.privateKey;
    cert = dev.server.certificate;
  });

  interface Captured {
    clientBytes: Uint8Array;
    serverBytes: Uint8Array;
    standardName: string | undefined;
    version: string | null;
    keylog: string[];
    exported: Buffer;
  }

  /** One Node-to-Node handshake through a recording relay. */
  async function handshake(server: tls.TlsOptions, client: tls.ConnectionOptions): Promise<Captured> {
    const connections = new Set<net.Socket>();
    const tlsServer = tls.createServer({ key, cert, ...server }, (s) => {
      connections.add(s);
      s.on("error", () => {});
    });
    const port = await listenTls(tlsServer);
    const relay = await startRelay(port);
    const keylog: string[] = [];
    const socket = tls.connect({
      ca,
      servername: "localhost",
      ...client,
      host: "127.0.0.1",
      port: relay.port,
    });
    socket.on("keylog", (line: Buffer) => keylog.push(line.toString("latin1")));
    try {
      await once(socket, "secureConnect");
      return {
        clientBytes: relay.clientBytes(),
        serverBytes: relay.serverBytes(),
        standardName: socket.getCipher().standardName,
        version: socket.getProtocol(),
        keylog,
        exported: exportWithoutContext(socket),
      };
    } finally {
      socket.destroy();
      if (!socket.closed) await once(socket, "close");
      await relay.close();
      await closeTls(tlsServer, connections);
    }
  }

  it("TLS 1.3: version, suite, group and session id echo match the negotiation", async () => {
    const c = await handshake({ ecdhCurve: "P-384:X25519" }, { ecdhCurve: "P-384:X25519" });
    assert.equal(c.version, "TLSv1.3");
    const hello = ok<ServerHelloInfo>(parseServerHello(c.serverBytes));
    const clientHello = ok<ClientHelloInfo>(parseClientHello(c.clientBytes));
    assert.equal(hello.version.name, "TLS 1.3");
    assert.equal(hello.legacyVersion, 0x0303);
    assert.equal(hello.cipherSuite.name, c.standardName);
    assert.equal(hello.selectedGroup?.name, "secp384r1");
    assert.equal(hello.helloRetryRequest, false);
    assert.equal(hello.downgradeSentinel, undefined);
    assert.deepEqual(hello.sessionId, clientHello.sessionId);
    assert.deepEqual(hello.extensions.map((e) => e.name).sort(), ["key_share", "supported_versions"]);
    assert.deepEqual(findServerRandom(c.serverBytes), hello.random);
    assert.match(formatRecordTrace(c.serverBytes), /^ServerHello\(\d+\) CCS\(6\) enc\(\d+\)/);
  });

  it("TLS 1.2: the server random found in the tokens reproduces the connection's exporter", async () => {
    const c = await handshake(
      { ALPNProtocols: ["h2"] },
      { maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256", ALPNProtocols: ["h2", "http/1.1"] },
    );
    assert.equal(c.version, "TLSv1.2");
    const hello = ok<ServerHelloInfo>(parseServerHello(c.serverBytes));
    assert.equal(hello.version.name, "TLS 1.2");
    assert.equal(hello.cipherSuite.name, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assert.equal(hello.alpnProtocol, "h2");
    assert.equal(hello.selectedGroup, undefined);
    assert.equal(hello.downgradeSentinel, "tls12"); // a TLS 1.3-capable server negotiating TLS 1.2
    const random = findServerRandom(c.serverBytes);
    assert.ok(random !== undefined);
    assert.deepEqual(random, hello.random);
    const clientRandom = ok<ClientHelloInfo>(parseClientHello(c.clientBytes)).random;
    const master = masterSecrets(c.keylog).get(Buffer.from(clientRandom).toString("hex"));
    assert.ok(master, "keylog has the master secret");
    assert.deepEqual(exporter12(master, clientRandom, random, "EXPERIMENTAL async-sspi"), c.exported);
    // A wrong random must not reproduce it (the check can fail).
    const wrong = random.slice();
    wrong[0]! ^= 1;
    assert.notDeepEqual(exporter12(master, clientRandom, wrong, "EXPERIMENTAL async-sspi"), c.exported);
    const trace = formatRecordTrace(c.serverBytes);
    assert.match(trace, /^ServerHello.*Certificate.*ServerKeyExchange.*ServerHelloDone/);
    assert.match(trace, /CCS\(6\) enc\(\d+\)$/);
    assert.match(
      formatRecordTrace(c.clientBytes),
      /^ClientHello\(\d+\) ClientKeyExchange\(\d+\) CCS\(6\) enc\(\d+\)$/,
    );
  });

  it("HelloRetryRequest: recognised, its group named, and skipped by findServerRandom", async () => {
    const c = await handshake({ ecdhCurve: "X25519" }, { ecdhCurve: "P-256:X25519" });
    const hrr = ok<ServerHelloInfo>(parseServerHello(c.serverBytes));
    assert.equal(hrr.helloRetryRequest, true);
    assert.deepEqual(hrr.random, HELLO_RETRY_REQUEST_RANDOM);
    assert.equal(hrr.selectedGroup?.name, "x25519");
    assert.equal(hrr.version.name, "TLS 1.3");
    // The real ServerHello follows the HelloRetryRequest record and a CCS record.
    const second = ok<ServerHelloInfo>(parseServerHello(c.serverBytes.subarray(hrr.length + 6)));
    assert.equal(second.helloRetryRequest, false);
    assert.equal(second.selectedGroup?.name, "x25519");
    assert.deepEqual(findServerRandom(c.serverBytes), second.random);
    assert.match(
      formatRecordTrace(c.serverBytes),
      /^HelloRetryRequest\(\d+\) CCS\(6\) ServerHello\(\d+\) enc\(\d+\)/,
    );
    // The client's second ClientHello follows its CCS in plaintext.
    assert.match(formatRecordTrace(c.clientBytes), /^ClientHello\(\d+\) CCS\(6\) ClientHello\(\d+\)( |$)/);
  });

  it("HELLO_RETRY_REQUEST_RANDOM is SHA-256('HelloRetryRequest')", () => {
    assert.deepEqual(
      HELLO_RETRY_REQUEST_RANDOM,
      new Uint8Array(createHash("sha256").update("HelloRetryRequest").digest()),
    );
  });

  describe("against openssl s_client", () => {
    let tlsServer: tls.Server;
    let port = 0;
    const connections = new Set<net.Socket>();
    const keylog: string[] = [];
    const exported: Buffer[] = [];

    before(async () => {
      tlsServer = tls.createServer({ key, cert }, (s) => {
        connections.add(s);
        s.on("error", () => {});
        exported.push(exportWithoutContext(s));
      });
      tlsServer.on("keylog", (line: Buffer) => keylog.push(line.toString("latin1")));
      port = await listenTls(tlsServer);
    });
    after(async () => closeTls(tlsServer, connections));

    async function opensslThroughRelay(args: string[]): Promise<{ client: Uint8Array; server: Uint8Array }> {
      const relay = await startRelay(port);
      const before = exported.length;
      const { child } = startOpenssl(["s_client", "-connect", `127.0.0.1:${relay.port}`, ...args]);
      try {
        await until(() => exported.length > before);
        await until(() => findServerRandom(relay.serverBytes()) !== undefined);
        return { client: relay.clientBytes(), server: relay.serverBytes() };
      } finally {
        await stopProcess(child);
        await relay.close();
      }
    }

    it("-tls1_2: findServerRandom reproduces the server's exporter", async () => {
      const { client, server } = await opensslThroughRelay([
        "-tls1_2",
        "-cipher",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "-servername",
        "localhost",
      ]);
      const random = findServerRandom(server);
      assert.ok(random !== undefined);
      const clientRandom = ok<ClientHelloInfo>(parseClientHello(client)).random;
      const master = masterSecrets(keylog).get(Buffer.from(clientRandom).toString("hex"));
      assert.ok(master, "server keylog has the master secret");
      const hello = ok<ServerHelloInfo>(parseServerHello(server));
      assert.equal(hello.version.name, "TLS 1.2");
      assert.equal(hello.cipherSuite.name, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
      assert.deepEqual(exporter12(master, clientRandom, random, "EXPERIMENTAL async-sspi"), exported.at(-1));
    });

    it("-groups P-521 on TLS 1.3: the selected group is secp521r1", async () => {
      const { server } = await opensslThroughRelay(["-groups", "P-521", "-servername", "localhost"]);
      const hello = ok<ServerHelloInfo>(parseServerHello(server));
      assert.equal(hello.version.name, "TLS 1.3");
      assert.equal(hello.selectedGroup?.name, "secp521r1");
    });
  });
});

describe("parseServerHello failures", () => {
  it("an alert instead of a ServerHello is unexpected_message; a ClientHello is the wrong message", () => {
    const alert = parseServerHello(Uint8Array.from([21, 3, 3, 0, 2, 2, 40]));
    assert.ok("error" in alert && alert.alert === "unexpected_message");
    const ch = parseServerHello(Uint8Array.from([22, 3, 1, 0, 4, 1, 0, 0, 0]));
    assert.ok("error" in ch && /client_hello/.test(ch.error));
  });

  it("findServerRandom finds nothing in an empty, non-TLS or ClientHello-only token", () => {
    assert.equal(findServerRandom(new Uint8Array(0)), undefined);
    assert.equal(findServerRandom(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n")), undefined);
    assert.equal(findServerRandom(Uint8Array.from([22, 3, 1, 0, 4, 1, 0, 0, 0])), undefined);
  });
});
