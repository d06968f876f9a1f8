/**
 * Record-layer policy after the handshake (issue 10, items 7–9), through EncryptMessage,
 * DecryptMessage and ISC against Node's `tls` server over loopback TCP. Where the scenario needs a
 * record no honest peer writes, the server is a {@link forgingServer}: Node runs the handshake and
 * the test seals the hostile records under the server's real traffic keys. Node still reads what
 * our client sends, so the alerts we send are checked on a real peer.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import {
  ApplyControlToken,
  type CredHandle,
  type CtxtHandle,
  SCH_CREDENTIALS_VERSION,
  SECPKG_CRED_OUTBOUND,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  secBufferDesc,
  shutdownToken,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { type ForgedConnection, type ForgingServer, forgingServer } from "../support/forging-server.js";
import { isNodeAlertCode } from "../support/node-alerts.js";
import {
  acquireOk,
  connectReader,
  contextCall,
  encrypt,
  handshake,
  leakCheck,
  recordByRecord,
  type SocketReader,
  tryEncrypt,
} from "../support/sspi-driver.js";
import { type Fixtures, fixtures } from "../support/tls-fixtures.js";

type Version = "TLSv1.2" | "TLSv1.3";

const APPLICATION_DATA = 23;
const HANDSHAKE = 22;

let f: Fixtures;
const leaks = leakCheck();
before(async () => {
  f = await fixtures();
});
after(async () => {
  await leaks.verify();
});

/** Our SSPI client connected (handshake done) to a forging server; `records` reads one record at a time. */
interface Connected {
  cred: CredHandle;
  handle: CtxtHandle;
  reader: SocketReader;
  peer: ForgedConnection;
  server: ForgingServer;
  /** DecryptMessage on the next whole record: its status name and plaintext. */
  next(): Promise<{ status: string; plaintext: Buffer }>;
  close(): Promise<void>;
}

async function connect(server: ForgingServer, version: Version): Promise<Connected> {
  const cred = await acquireOk(SECPKG_CRED_OUTBOUND, {
    dwVersion: SCH_CREDENTIALS_VERSION,
    hRootStore: [f.ca.certificate],
    pTlsParameters: [{ grbitDisabledProtocols: version === "TLSv1.3" ? SP_PROT_TLS1_2 : SP_PROT_TLS1_3 }],
  });
  const reader = await connectReader(server.port);
  const hs = await handshake("initiator", reader, cred, { target: "localhost" });
  assert.equal(statusName(hs.status), "SEC_E_OK");
  const peer = await server.connection();
  const next = recordByRecord(hs.handle, reader, hs.leftover);
  if (version === "TLSv1.3") {
    // Node's two NewSessionTickets come first.
    for (let i = 0; i < 2; i++)
      assert.deepEqual(await next(), { status: "SEC_E_OK", plaintext: Buffer.alloc(0) });
  }
  return {
    cred,
    handle: hs.handle,
    reader,
    peer,
    server,
    next,
    async close() {
      reader.socket.destroy();
      await sspi.DeleteSecurityContext(hs.handle);
      await sspi.FreeCredentialsHandle(cred);
    },
  };
}

async function withConnection(version: Version, body: (c: Connected) => Promise<void>): Promise<void> {
  const cert = f.servers["ecdsa-p256"];
  const server = await forgingServer({ certificate: cert.certificate, privateKey: cert.privateKey, version });
  try {
    const c = await connect(server, version);
    try {
      await body(c);
    } finally {
      await c.close();
    }
  } finally {
    await server.close();
  }
}

/** ISC on the established context: the bytes it has for the peer (an alert), written to the socket. */
async function sendControlOutput(c: Connected): Promise<Uint8Array> {
  const r = await contextCall("initiator", c.cred, c.handle);
  if (r.token.byteLength > 0) c.reader.socket.write(r.token);
  return r.token;
}

test("TLS 1.3 record layer: an inner plaintext over 2^14 + 1 bytes (2^14 of content + 230 of padding) is record_overflow", async () => {
  await withConnection("TLSv1.3", async (c) => {
    const full = Buffer.alloc(16384, 0x61);
    // The largest legal inner plaintexts: 2^14 of content + type, and short content padded to 2^14 + 1.
    c.peer.send(c.peer.sealInner(Buffer.concat([full, Uint8Array.of(APPLICATION_DATA)])));
    c.peer.send(
      c.peer.sealInner(
        Buffer.concat([Buffer.from("padded"), Uint8Array.of(APPLICATION_DATA), Buffer.alloc(16384 - 6)]),
      ),
    );
    c.peer.send(c.peer.sealInner(Buffer.concat([full, Uint8Array.of(APPLICATION_DATA), Buffer.alloc(230)])));
    assert.deepEqual(await c.next(), { status: "SEC_E_OK", plaintext: full });
    assert.deepEqual(await c.next(), { status: "SEC_E_OK", plaintext: Buffer.from("padded") });
    assert.equal((await c.next()).status, "SEC_E_DECRYPT_FAILURE");
    assert.ok((await sendControlOutput(c)).byteLength > 0, "the record_overflow alert");
    assert.equal((await c.peer.nodeError()).code, "ERR_SSL_TLSV1_ALERT_RECORD_OVERFLOW");
  });
});

test("record layer: 33 consecutive empty records are unexpected_message (OpenSSL stops at 32), TLS 1.3 and 1.2", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    await withConnection(version, async (c) => {
      const empty = () => c.peer.seal(APPLICATION_DATA, new Uint8Array(0));
      const burst = (n: number) => Buffer.concat(Array.from({ length: n }, empty));
      c.peer.send(burst(32));
      c.peer.send(c.peer.seal(APPLICATION_DATA, Buffer.from("x")));
      c.peer.send(burst(32));
      c.peer.send(c.peer.seal(APPLICATION_DATA, Buffer.from("y")));
      c.peer.send(burst(100));
      for (const expected of ["x", "y"]) {
        for (let i = 0; i < 32; i++)
          assert.deepEqual(
            await c.next(),
            { status: "SEC_E_OK", plaintext: Buffer.alloc(0) },
            `${version} #${i}`,
          );
        assert.deepEqual(await c.next(), { status: "SEC_E_OK", plaintext: Buffer.from(expected) }, version);
      }
      for (let i = 0; i < 32; i++) assert.equal((await c.next()).status, "SEC_E_OK", `${version} #${i}`);
      assert.equal((await c.next()).status, "SEC_E_ILLEGAL_MESSAGE", `${version}: the 33rd empty record`);
      assert.ok((await sendControlOutput(c)).byteLength > 0, "the unexpected_message alert");
      assert.ok(isNodeAlertCode((await c.peer.nodeError()).code, 10), version);
    });
  }
});

test("a legal NewSessionTicket larger than 16 KiB (spanning two records) does not kill the client context", async () => {
  await withConnection("TLSv1.3", async (c) => {
    const ticket = randomBytes(20_000);
    const body = Buffer.concat([
      Buffer.from([0, 0, 0x1c, 0x20]), // ticket_lifetime 7200 s
      randomBytes(4), // ticket_age_add
      Buffer.from([8]),
      randomBytes(8), // ticket_nonce
      Buffer.from([ticket.length >> 8, ticket.length & 0xff]),
      ticket,
      Buffer.from([0, 0]), // no extensions
    ]);
    const message = Buffer.concat([
      Buffer.from([4, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]),
      body,
    ]);
    c.peer.send(c.peer.seal(HANDSHAKE, message.subarray(0, 16384)));
    c.peer.send(c.peer.seal(HANDSHAKE, message.subarray(16384)));
    c.peer.send(c.peer.seal(APPLICATION_DATA, Buffer.from("after the big ticket")));
    assert.deepEqual(await c.next(), { status: "SEC_E_OK", plaintext: Buffer.alloc(0) }, "first fragment");
    assert.deepEqual(await c.next(), { status: "SEC_E_OK", plaintext: Buffer.alloc(0) }, "second fragment");
    assert.deepEqual(await c.next(), { status: "SEC_E_OK", plaintext: Buffer.from("after the big ticket") });
    c.reader.socket.write(encrypt(c.handle, Buffer.from("still alive")));
    for (let i = 0; i < 200 && Buffer.concat(c.peer.received).toString() !== "still alive"; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(Buffer.concat(c.peer.received).toString(), "still alive", "Node read our record");
    // The credential stays usable: its next handshake (offering that ticket) completes.
    const reader = await connectReader(c.server.port);
    try {
      const hs = await handshake("initiator", reader, c.cred, { target: "localhost" });
      assert.equal(statusName(hs.status), "SEC_E_OK", "the next handshake");
      await sspi.DeleteSecurityContext(hs.handle);
    } finally {
      reader.socket.destroy();
    }
  });
});

test("after the peer's fatal alert EncryptMessage fails with SEC_E_CONTEXT_EXPIRED and nothing more is sent, TLS 1.3 and 1.2", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    await withConnection(version, async (c) => {
      // Node (OpenSSL) answers a record that fails authentication with a fatal bad_record_mac.
      const tampered = Buffer.from(encrypt(c.handle, Buffer.from("hello")));
      tampered[tampered.length - 1]! ^= 0x01;
      c.reader.socket.write(tampered);
      assert.equal((await c.next()).status, "SEC_E_ILLEGAL_MESSAGE", `${version}: the peer's fatal alert`);
      assert.equal(
        statusName(tryEncrypt(c.handle, Buffer.from("more")).status),
        "SEC_E_CONTEXT_EXPIRED",
        version,
      );
      assert.equal(statusName(ApplyControlToken(c.handle, secBufferDesc(shutdownToken()))), "SEC_E_OK");
      const r = await contextCall("initiator", c.cred, c.handle);
      assert.equal(r.token.byteLength, 0, `${version}: no close_notify after a fatal alert`);
      assert.equal(statusName(r.status), "SEC_I_CONTEXT_EXPIRED", version);
    });
  }
});

test("after a local fatal error (a forged record fails authentication) EncryptMessage fails; ISC sends only the alert, TLS 1.3 and 1.2", async () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    await withConnection(version, async (c) => {
      const forged = c.peer.seal(APPLICATION_DATA, Buffer.from("forged"));
      forged[forged.length - 1]! ^= 0x01;
      c.peer.send(forged);
      assert.equal((await c.next()).status, "SEC_E_MESSAGE_ALTERED", version);
      assert.equal(
        statusName(tryEncrypt(c.handle, Buffer.from("more")).status),
        "SEC_E_CONTEXT_EXPIRED",
        version,
      );
      assert.ok((await sendControlOutput(c)).byteLength > 0, `${version}: the bad_record_mac alert`);
      assert.ok(isNodeAlertCode((await c.peer.nodeError()).code, 20), version);
      assert.equal(
        statusName(tryEncrypt(c.handle, Buffer.from("more")).status),
        "SEC_E_CONTEXT_EXPIRED",
        version,
      );
      const r = await contextCall("initiator", c.cred, c.handle);
      assert.equal(r.token.byteLength, 0, `${version}: nothing after the alert`);
    });
  }
});
