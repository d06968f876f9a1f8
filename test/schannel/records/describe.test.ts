import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { createDevelopmentCertificate } from "../../../src/devcert/certificates.js";
import { describeRecords, formatRecordTrace } from "../../../src/schannel/records/describe.js";
import { closeTls, listenTls, nodeClientHello, startOpenssl, startRelay, stopProcess } from "./capture.js";

describe("describeRecords on real alerts", () => {
  let server: tls.Server;
  let port = 0;
  const connections = new Set<net.Socket>();

  before(async () => {
    const dev = await createDevelopmentCertificate(); // ECDSA P-256: no RSA key exchange possible
    server = tls.createServer({ key: dev.server.privateKey, cert: dev.server.certificate }, (s) => {
      connections.add(s);
      s.on("error", () => {});
    });
    server.on("tlsClientError", () => {});
    port = await listenTls(server);
  });
  after(async () => closeTls(server, connections));

  /** Runs s_client through a relay until it exits; returns both directions. */
  async function runClient(args: string[]): Promise<{ client: Uint8Array; server: Uint8Array }> {
    const relay = await startRelay(port);
    const openssl = startOpenssl(["s_client", "-connect", `127.0.0.1:${relay.port}`, ...args]);
    try {
      openssl.child.stdin!.end();
      await openssl.output;
      return { client: relay.clientBytes(), server: relay.serverBytes() };
    } finally {
      await stopProcess(openssl.child);
      await relay.close();
    }
  }

  it("the server's handshake_failure when no suite is shared", async () => {
    const { server: bytes } = await runClient(["-tls1_2", "-cipher", "AES128-SHA"]);
    assert.equal(formatRecordTrace(bytes), "Alert(fatal, handshake_failure)(7)");
    assert.deepEqual(describeRecords(bytes), [
      { contentType: 21, contentTypeName: "alert", length: 7, label: "Alert(fatal, handshake_failure)" },
    ]);
  });

  it("the client's unknown_ca for an untrusted chain (TLS 1.2, before its CCS)", async () => {
    const { client } = await runClient(["-tls1_2", "-verify_return_error", "-servername", "localhost"]);
    assert.match(formatRecordTrace(client), /^ClientHello\(\d+\) Alert\(fatal, unknown_ca\)\(7\)$/);
  });
});

describe("describeRecords on crafted record sequences", () => {
  let hello: Uint8Array;
  before(async () => {
    hello = await nodeClientHello({ servername: "trace.test" });
  });

  /** Re-frames a single-record message into records of at most `size` bytes of fragment. */
  function refragment(record: Uint8Array, size: number): Uint8Array {
    const fragment = record.subarray(5);
    const parts: number[] = [];
    for (let at = 0; at < fragment.length; at += size) {
      const piece = fragment.subarray(at, at + size);
      parts.push(22, 3, 1, piece.length >> 8, piece.length & 0xff, ...piece);
    }
    return Uint8Array.from(parts);
  }

  it("names a message that spans records", () => {
    const split = refragment(hello, 100);
    const labels = describeRecords(split).map((r) => r.label);
    assert.equal(labels[0], "ClientHello...");
    assert.equal(labels.at(-1), "...ClientHello");
    for (const middle of labels.slice(1, -1)) assert.equal(middle, "...ClientHello...");
    // A handshake header split across records.
    const tiny = describeRecords(refragment(hello, 3)).map((r) => r.label);
    assert.equal(tiny[0], "Handshake...");
    assert.equal(tiny[1], "ClientHello...");
  });

  it("names several messages in one record, a truncated record, and non-TLS bytes", () => {
    // Two complete handshake messages (a ServerHelloDone and a HelloRequest) in one record.
    const two = Uint8Array.from([22, 3, 3, 0, 8, 14, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(formatRecordTrace(two), "ServerHelloDone+HelloRequest(13)");
    const truncated = hello.subarray(0, 100);
    assert.equal(formatRecordTrace(truncated), `Truncated(${hello.length}, have 100)`);
    const junk = new TextEncoder().encode("GET / HTTP/1.1\r\n");
    assert.deepEqual(describeRecords(junk), [
      { contentType: 0x47, contentTypeName: "unknown", length: junk.length, label: "NotTLS" },
    ]);
    assert.deepEqual(describeRecords(new Uint8Array(0)), []);
  });

  it("treats handshake records as encrypted after a CCS unless told otherwise", () => {
    // A GCM-sealed TLS 1.2 Finished: 8-byte explicit nonce 0, then ciphertext; looks like a HelloRequest.
    const finished = new Uint8Array(5 + 40);
    finished.set([22, 3, 3, 0, 40]);
    const ccs = Uint8Array.from([20, 3, 3, 0, 1, 1]);
    const token = Uint8Array.from([...ccs, ...finished]);
    assert.equal(formatRecordTrace(token), "CCS(6) enc(45)");
    assert.equal(formatRecordTrace(finished, { encrypted: true }), "enc(45)");
    assert.match(formatRecordTrace(token, { encrypted: false }), /^CCS\(6\) HelloRequest/);
    const encryptedAlert = Uint8Array.from([21, 3, 3, 0, 26, ...new Uint8Array(26)]);
    assert.equal(formatRecordTrace(encryptedAlert), "EncryptedAlert(31)");
  });
});
