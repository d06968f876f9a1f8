/**
 * Record-layer conformance now that records are OpenSSL's (issue 11): defects of the former
 * TypeScript record layer found by an independent conformance run, each checked against a real
 * peer (Node's `tls`) with forged records where no honest peer writes them:
 *
 * - a TLS 1.2 client Finished fragmented over several records (the former layer assumed the read
 *   sequence number after the handshake was 1);
 * - a record longer than the negotiated version allows after the handshake gets a
 *   record_overflow alert (2^14 + 257 in TLS 1.3, 2^14 + 2049 in TLS 1.2), and TLS 1.2 accepts
 *   lengths up to its own limit, 2^14 + 2048 (the former layer applied TLS 1.3's);
 * - an empty alert record under TLS 1.3 application keys gets unexpected_message (not
 *   decode_error);
 * - every received and sent alert is reported with its description (SspiGetLastErrorInfo).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_STREAM,
  box,
  type CredHandle,
  CtxtHandle,
  SCH_CREDENTIALS_VERSION,
  SECBUFFER_EMPTY,
  SECBUFFER_MISSING,
  SECBUFFER_TOKEN,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { cipherSuiteByOpensslName } from "../../src/schannel/cipher-suites.js";
import { splitRecords } from "../../src/schannel/records/record-header.js";
import { findServerRandom } from "../../src/schannel/records/server-hello.js";
import { type ForgedConnection, type ForgingServer, forgingServer } from "../support/forging-server.js";
import { isNodeAlertCode } from "../support/node-alerts.js";
import { type Pki, pki } from "../support/pki.js";
import {
  acquireOk,
  connectReader,
  contextCall,
  encrypt,
  handshake,
  leakCheck,
  listen,
  receive,
  recordByRecord,
  type SocketReader,
} from "../support/sspi-driver.js";
import { fromTls12KeyBlock, type RecordProtection } from "../support/tls-sealing/record-protection.js";

type Version = "TLSv1.2" | "TLSv1.3";

const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const TLS1_ALERT_UNEXPECTED_MESSAGE = 10;
const TLS1_ALERT_BAD_RECORD_MAC = 20;
const TLS1_ALERT_RECORD_OVERFLOW = 22;
const TLS1_ALERT_HANDSHAKE_FAILURE = 40;

let keys: Pki;
const leaks = leakCheck();
before(async () => {
  keys = await pki();
});
after(async () => {
  await leaks.verify();
});

/** Our SSPI client, connected to a forging server (Node ran the handshake and sent its tickets). */
interface Connected {
  cred: CredHandle;
  handle: CtxtHandle;
  reader: SocketReader;
  peer: ForgedConnection;
  /** DecryptMessage on the next whole record. */
  next(): Promise<{ status: string; plaintext: Buffer }>;
  /** ISC's output on the established context (an alert), written to the socket. */
  sendControlOutput(): Promise<Uint8Array>;
}

async function withForgedPeer(version: Version, body: (c: Connected) => Promise<void>): Promise<void> {
  const server: ForgingServer = await forgingServer({
    certificate: keys.server.certificate,
    privateKey: keys.server.privateKey,
    version,
  });
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [keys.ca.certificate],
    pTlsParameters: [{ grbitDisabledProtocols: version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3 }],
  });
  const reader = await connectReader(server.port);
  try {
    const hs = await handshake("initiator", reader, cred, { target: "server.test" });
    assert.equal(statusName(hs.status), "SEC_E_OK");
    const peer = await server.connection();
    const next = recordByRecord(hs.handle, reader, hs.leftover);
    if (version === "TLSv1.3")
      for (let i = 0; i < 2; i++) assert.equal((await next()).status, "SEC_E_OK", "Node's tickets");
    try {
      await body({
        cred,
        handle: hs.handle,
        reader,
        peer,
        next,
        async sendControlOutput() {
          const r = await contextCall("initiator", cred, hs.handle);
          if (r.token.byteLength > 0) reader.socket.write(r.token);
          return r.token;
        },
      });
    } finally {
      await sspi.DeleteSecurityContext(hs.handle);
    }
  } finally {
    reader.socket.destroy();
    await sspi.FreeCredentialsHandle(cred);
    await server.close();
  }
}

/** A record of `contentType` whose header announces `length` bytes, with `length` random bytes. */
function garbageRecord(contentType: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([contentType, 3, 3, length >> 8, length & 0xff]), randomBytes(length)]);
}

test("TLS 1.3: a record of 2^14 + 257 bytes after the handshake gets record_overflow (SEC_E_DECRYPT_FAILURE), reported as sent; Node sees the alert", async () => {
  await withForgedPeer("TLSv1.3", async (c) => {
    c.peer.send(garbageRecord(APPLICATION_DATA, 16384 + 257));
    assert.equal((await c.next()).status, "SEC_E_DECRYPT_FAILURE");
    assert.equal(SspiGetLastErrorInfo(c.handle)?.alertSent?.description, TLS1_ALERT_RECORD_OVERFLOW);
    assert.equal(SspiGetLastErrorInfo(c.handle)?.alertSent?.name, "record_overflow");
    assert.ok((await c.sendControlOutput()).byteLength > 0, "the alert record");
    assert.ok(isNodeAlertCode((await c.peer.nodeError()).code, TLS1_ALERT_RECORD_OVERFLOW));
  });
});

test("TLS 1.2 does not apply TLS 1.3's limit: a forged record of 2^14 + 300 bytes passes the header and fails authentication (bad_record_mac); 2^14 + 2049 gets record_overflow", async () => {
  // Between the two OpenSSL answers record_overflow as well, from what its read buffer holds:
  // 2^14 of plaintext plus at most 320 bytes of expansion (IV, MAC, padding) — no TLS 1.2 record
  // of the suites allowed is longer.
  await withForgedPeer("TLSv1.2", async (c) => {
    c.peer.send(garbageRecord(APPLICATION_DATA, 16384 + 300));
    assert.equal((await c.next()).status, "SEC_E_MESSAGE_ALTERED", "the header was accepted");
    assert.equal(SspiGetLastErrorInfo(c.handle)?.alertSent?.description, TLS1_ALERT_BAD_RECORD_MAC);
    assert.ok((await c.sendControlOutput()).byteLength > 0, "the bad_record_mac alert");
    assert.ok(isNodeAlertCode((await c.peer.nodeError()).code, TLS1_ALERT_BAD_RECORD_MAC));
  });
  await withForgedPeer("TLSv1.2", async (c) => {
    c.peer.send(garbageRecord(APPLICATION_DATA, 16384 + 2049));
    assert.equal((await c.next()).status, "SEC_E_DECRYPT_FAILURE");
    assert.equal(SspiGetLastErrorInfo(c.handle)?.alertSent?.description, TLS1_ALERT_RECORD_OVERFLOW);
    assert.ok((await c.sendControlOutput()).byteLength > 0, "the record_overflow alert");
    assert.ok(isNodeAlertCode((await c.peer.nodeError()).code, TLS1_ALERT_RECORD_OVERFLOW));
  });
});

test("a ClientHello record longer than TLS 1.3 allows (within TLS 1.2's 2^14 + 2048) is waited for during the handshake, not refused", async () => {
  const cred = await acquireOk(SECPKG_CRED_INBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    paCred: [{ certificate: keys.server.certificate, privateKey: keys.server.privateKey }],
  });
  const h = new CtxtHandle();
  try {
    const length = 16384 + 300;
    const partial = Uint8Array.from([HANDSHAKE, 3, 1, length >> 8, length & 0xff, 1, 0, 0]);
    const input = secBufferDesc(secBuffer(SECBUFFER_TOKEN, partial), secBuffer(SECBUFFER_EMPTY));
    const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN), secBuffer(SECBUFFER_EMPTY));
    const status = await sspi.AcceptSecurityContext(
      cred,
      null,
      input,
      ASC_REQ_STREAM | ASC_REQ_ALLOCATE_MEMORY,
      0,
      h,
      output,
      box(0),
      null,
    );
    assert.equal(statusName(status), "SEC_E_INCOMPLETE_MESSAGE");
    assert.equal(input.pBuffers[1]!.BufferType, SECBUFFER_MISSING);
    assert.equal(input.pBuffers[1]!.cbBuffer, length - 3, "the bytes still missing");
  } finally {
    if (h.dwLower !== 0 || h.dwUpper !== 0) await sspi.DeleteSecurityContext(h).catch(() => undefined);
    await sspi.FreeCredentialsHandle(cred);
  }
});

test("TLS 1.3: an empty alert record under application keys gets unexpected_message (not decode_error); Node sees it", async () => {
  await withForgedPeer("TLSv1.3", async (c) => {
    c.peer.send(c.peer.seal(ALERT, new Uint8Array(0)));
    assert.equal((await c.next()).status, "SEC_E_ILLEGAL_MESSAGE");
    assert.equal(SspiGetLastErrorInfo(c.handle)?.alertSent?.description, TLS1_ALERT_UNEXPECTED_MESSAGE);
    assert.ok((await c.sendControlOutput()).byteLength > 0, "the alert record");
    assert.ok(isNodeAlertCode((await c.peer.nodeError()).code, TLS1_ALERT_UNEXPECTED_MESSAGE));
  });
});

test("a fatal alert from the peer is reported received with its description, both versions; the context is then dead both ways", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    await withForgedPeer(version, async (c) => {
      c.peer.send(c.peer.seal(ALERT, Uint8Array.of(2, TLS1_ALERT_HANDSHAKE_FAILURE)));
      assert.equal((await c.next()).status, "SEC_E_ILLEGAL_MESSAGE", version);
      const info = SspiGetLastErrorInfo(c.handle);
      assert.deepEqual(info?.alertReceived, {
        description: TLS1_ALERT_HANDSHAKE_FAILURE,
        name: "handshake_failure",
      });
      assert.equal(info?.alertSent, null, `${version}: nothing is sent after the peer's fatal alert`);
      assert.match(info?.message ?? "", /\[alert received: handshake_failure\]/);
      const r = await contextCall("initiator", c.cred, c.handle);
      assert.equal(r.token.byteLength, 0, "nothing to send");
      assert.equal(statusName(r.status), "SEC_I_CONTEXT_EXPIRED");
    });
  }
});

/**
 * A TLS 1.2 proxy between Node's client and our server that re-fragments the client's encrypted
 * Finished into three records and re-seals every later client record one sequence number on,
 * under the client's real write key (from Node's key log).
 */
async function fragmentingProxy(
  upstreamPort: number,
  suiteName: string,
): Promise<{
  port: number;
  setMasterSecret(clientRandom: Buffer, master: Buffer): void;
  close(): Promise<void>;
}> {
  const suite = cipherSuiteByOpensslName(suiteName)!;
  let keyMaterial: { clientRandom: Buffer; master: Buffer } | null = null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect(upstreamPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const fromServer: Buffer[] = [];
    upstream.on("data", (d: Buffer) => {
      fromServer.push(d);
      client.write(d);
    });
    let pending = Buffer.alloc(0);
    let encrypted = false;
    let open: RecordProtection | null = null;
    let seal: RecordProtection | null = null;
    const pump = () => {
      const split = splitRecords(pending);
      for (const r of split.records) {
        const record = pending.subarray(r.offset, r.offset + r.length);
        if (!encrypted) {
          upstream.write(record);
          if (r.contentType === 20) encrypted = true;
          continue;
        }
        if (open === null || seal === null) {
          const serverRandom = findServerRandom(new Uint8Array(Buffer.concat(fromServer)));
          assert.ok(keyMaterial !== null && serverRandom !== undefined, "key material before the Finished");
          const { clientRandom, master } = keyMaterial;
          open = fromTls12KeyBlock(suite, master, clientRandom, serverRandom, "server", { read: 0n }).read;
          seal = fromTls12KeyBlock(suite, master, clientRandom, serverRandom, "client", { write: 0n }).write;
          const finished = open.open(record);
          assert.ok(finished.ok && finished.contentType === HANDSHAKE, "the client's Finished");
          const plain = finished.plaintext;
          for (const [from, to] of [
            [0, 4],
            [4, 10],
            [10, plain.length],
          ] as const)
            upstream.write(seal.seal(HANDSHAKE, plain.subarray(from, to)));
          continue;
        }
        const opened = open.open(record);
        assert.ok(opened.ok, "a client record");
        upstream.write(seal.seal(opened.contentType, opened.plaintext));
      }
      pending = pending.subarray(split.consumed);
    };
    client.on("data", (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      // Node emits the key log line before its flight reaches the proxy; wait for it if not.
      const run = () => (keyMaterial !== null || !encrypted ? pump() : setTimeout(run, 5));
      run();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    setMasterSecret(clientRandom, master) {
      keyMaterial = { clientRandom, master };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("TLS 1.2: a client Finished fragmented over three records completes the handshake, and data flows both ways after it", async () => {
  const listener = await listen();
  const suiteName = "ECDHE-ECDSA-AES128-GCM-SHA256";
  const proxy = await fragmentingProxy(listener.port, suiteName);
  const cred = await acquireOk(SECPKG_CRED_INBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    paCred: [{ certificate: keys.server.certificate, privateKey: keys.server.privateKey }],
    pTlsParameters: [{ grbitDisabledProtocols: SP_PROT_TLS1_3 }],
  });
  const client = tlsConnect({
    host: "127.0.0.1",
    port: proxy.port,
    servername: "server.test",
    ca: keys.ca.certificate,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.2",
    ciphers: suiteName,
  });
  client.on("error", () => {});
  client.on("keylog", (line: Buffer) => {
    const [label, random, secret] = line.toString("latin1").trim().split(" ");
    if (label === "CLIENT_RANDOM" && random && secret)
      proxy.setMasterSecret(Buffer.from(random, "hex"), Buffer.from(secret, "hex"));
  });
  const received: Buffer[] = [];
  client.on("data", (d: Buffer) => received.push(d));
  let handle: CtxtHandle | null = null;
  const reader = await listener.next();
  try {
    const hs = await handshake("acceptor", reader, cred);
    handle = hs.handle;
    assert.equal(statusName(hs.status), "SEC_E_OK");
    await new Promise<void>((resolve, reject) => {
      if (client.getProtocol() !== null && !client.connecting) resolve();
      client.once("secureConnect", resolve);
      client.once("close", () => reject(new Error("Node's client closed")));
    });
    client.write("after a fragmented Finished");
    const got = await receive(hs.handle, reader, "after a fragmented Finished".length, hs.leftover);
    assert.equal(Buffer.from(got.plaintext).toString(), "after a fragmented Finished");
    reader.socket.write(encrypt(hs.handle, Buffer.from("and back")));
    for (let i = 0; i < 200 && Buffer.concat(received).toString() !== "and back"; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(Buffer.concat(received).toString(), "and back");
  } finally {
    client.destroy();
    reader.socket.destroy();
    if (handle) await sspi.DeleteSecurityContext(handle);
    await sspi.FreeCredentialsHandle(cred);
    await proxy.close();
    await listener.close();
  }
});
