/**
 * DirectRecordLayer policy: tampering, the 2^14 limit, KeyUpdate, close_notify, renegotiation,
 * coalesced and fragmented handshake messages — against Node's engine where it can take part, and
 * between two of our layers for what Node cannot produce.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { describe, test } from "node:test";
import {
  type CipherSuite,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
} from "../../../src/schannel/record/cipher-suites.js";
import {
  type DecryptResult,
  type DirectRecordLayer,
  tls12RecordLayer,
  tls13RecordLayer,
} from "../../../src/schannel/record/record-layer.js";
import { RecordError } from "../../../src/schannel/record/record-protection.js";
import {
  TLS1_ALERT_BAD_RECORD_MAC,
  TLS1_ALERT_FATAL,
  TLS1_ALERT_NO_RENEGOTIATION,
  TLS1_ALERT_RECORD_OVERFLOW,
  TLS1_ALERT_UNEXPECTED_MESSAGE,
  TLS1_ALERT_UNKNOWN_CA,
  TLS1_ALERT_WARNING,
} from "../../../src/sspi/schannel-constants.js";
import {
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTEXT_EXPIRED,
} from "../../../src/sspi/status.js";
import { sealTls13Inner } from "../../support/forging-server.js";
import { isNodeAlertCode } from "../../support/node-alerts.js";
import { establish, type Session } from "./tls-harness.js";

function ok<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  assert.equal(result.ok, true, result.ok ? "" : (result as unknown as { reason: string }).reason);
  return result as Extract<T, { ok: true }>;
}

function data(result: DecryptResult): Buffer {
  const r = ok(result);
  assert.equal(r.kind, "data");
  return Buffer.from((r as { plaintext: Uint8Array }).plaintext);
}

function failure(result: DecryptResult | { ok: boolean }) {
  assert.equal(result.ok, false, "expected a failure");
  return result as Extract<DecryptResult, { ok: false }>;
}

/** Splits a byte string into records. */
function records(bytes: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  const b = Buffer.from(bytes);
  for (let offset = 0; offset < b.length; ) {
    const end = offset + 5 + b.readUInt16BE(offset + 3);
    out.push(b.subarray(offset, end));
    offset = end;
  }
  return out;
}

/** Two of our layers wired to each other (client and server of one fake TLS 1.3 connection). */
function pair13(suite: CipherSuite = TLS_AES_128_GCM_SHA256) {
  const secrets = { client: randomBytes(suite.hashLength), server: randomBytes(suite.hashLength) };
  return {
    secrets,
    client: tls13RecordLayer(suite, "client", secrets),
    server: tls13RecordLayer(suite, "server", secrets),
  };
}

function pair12(suite: CipherSuite = TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) {
  const master = randomBytes(48);
  const cr = randomBytes(32);
  const sr = randomBytes(32);
  return {
    client: tls12RecordLayer(suite, "client", master, cr, sr),
    server: tls12RecordLayer(suite, "server", master, cr, sr),
  };
}

async function skipTickets(s: Session): Promise<void> {
  if (s.suite.version !== "TLSv1.3" || s.role !== "client") return;
  for (let n = 0; n < 2; ) {
    const r = ok(s.layer.decryptRecord(await s.fromNode.next()));
    assert.equal(r.kind, "handshake");
    n += (r as { messages: unknown[] }).messages.length;
  }
}

const TAMPER_SUITES = [
  TLS_AES_256_GCM_SHA384,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];

describe("tampering against Node's engine", () => {
  for (const suite of TAMPER_SUITES) {
    test(`${suite.ianaName}: Node rejects our tampered record with bad_record_mac, which we classify`, async () => {
      const s = await establish(suite, { role: "client" });
      try {
        await skipTickets(s);
        const sealed = ok(s.layer.encrypt(Buffer.from("hello"))).record;
        const tampered = Buffer.from(sealed);
        tampered[tampered.length - 20]! ^= 0x01;
        s.toNode(tampered);
        const alert = failure(s.layer.decryptRecord(await s.fromNode.next()));
        assert.equal(alert.error, "remote_alert");
        assert.equal(alert.remote, true);
        assert.equal(alert.alert, TLS1_ALERT_BAD_RECORD_MAC);
        assert.equal(alert.status, SEC_E_ILLEGAL_MESSAGE);
        // OpenSSL 3 words it per cipher ("decryption failed or bad record mac", "cipher operation failed")
        assert.ok(await s.nodeError());
      } finally {
        s.close();
      }
    });

    test(`${suite.ianaName}: we report a tampered Node record as altered and Node gets our bad_record_mac`, async () => {
      const s = await establish(suite, { role: "server" });
      try {
        s.node.write("hello");
        const record = Buffer.from(await s.fromNode.next());
        record[7]! ^= 0x80;
        const f = failure(s.layer.decryptRecord(record));
        assert.equal(f.error, "bad_record_mac");
        assert.equal(f.status, SEC_E_MESSAGE_ALTERED);
        assert.equal(f.alert, TLS1_ALERT_BAD_RECORD_MAC);
        assert.equal(f.remote, false);
        // the layer is dead now
        assert.equal(failure(s.layer.decryptRecord(record)).status, SEC_E_CONTEXT_EXPIRED);
        assert.equal(failure(s.layer.encrypt(Buffer.from("x"))).status, SEC_E_CONTEXT_EXPIRED);
        const alert = s.layer.takePendingOutput();
        assert.ok(alert);
        s.toNode(alert);
        const e = (await s.nodeError()) as Error & { code?: string };
        assert.ok(isNodeAlertCode(e.code, 20), e.code);
      } finally {
        s.close();
      }
    });
  }
});

describe("the 2^14 plaintext limit", () => {
  test("we refuse to seal 16385 bytes; the layer reports SEC_E_INVALID_PARAMETER", () => {
    const { client } = pair13();
    const f = failure(client.encrypt(new Uint8Array(16385)));
    assert.equal(f.error, "plaintext_too_long");
    assert.equal(f.status, SEC_E_INVALID_PARAMETER);
    assert.throws(() => client.write.seal(23, new Uint8Array(16385)), RecordError);
    ok(client.encrypt(new Uint8Array(16384)));
  });

  test("Node rejects a 16385-byte TLS 1.3 plaintext with record_overflow; we classify the alert", async () => {
    const suite = TLS_AES_128_GCM_SHA256;
    const s = await establish(suite, { role: "client" });
    try {
      await skipTickets(s);
      const inner = Buffer.concat([Buffer.alloc(16385, 0x61), Buffer.of(23)]);
      s.toNode(
        sealTls13Inner(
          suite,
          s.keylog.secrets.get("CLIENT_TRAFFIC_SECRET_0")!,
          s.layer.write.sequence,
          inner,
        ),
      );
      const f = failure(s.layer.decryptRecord(await s.fromNode.next()));
      assert.equal(f.error, "remote_alert");
      assert.equal(f.alert, TLS1_ALERT_RECORD_OVERFLOW);
    } finally {
      s.close();
    }
  });

  test("we reject an authentic 16385-byte TLS 1.3 plaintext and an oversized ciphertext with record_overflow", () => {
    const suite = TLS_CHACHA20_POLY1305_SHA256;
    const { secrets, client } = pair13(suite);
    const exact = sealTls13Inner(
      suite,
      secrets.server,
      0n,
      Buffer.concat([Buffer.alloc(16384, 1), Buffer.of(23)]),
    );
    assert.equal(data(client.decryptRecord(exact)).length, 16384);
    const over = sealTls13Inner(
      suite,
      secrets.server,
      1n,
      Buffer.concat([Buffer.alloc(16385, 1), Buffer.of(23)]),
    );
    const f = failure(client.decryptRecord(over));
    assert.equal(f.error, "record_overflow");
    assert.equal(f.status, SEC_E_DECRYPT_FAILURE);
    assert.equal(f.alert, TLS1_ALERT_RECORD_OVERFLOW);

    const { client: fresh } = pair13(suite);
    const huge = Buffer.alloc(5 + 16384 + 257);
    huge.set([23, 3, 3, (16384 + 257) >> 8, (16384 + 257) & 0xff]);
    assert.equal(failure(fresh.decryptRecord(huge)).error, "record_overflow");
  });

  test("TLS 1.3 padding is stripped and an all-zero inner plaintext is unexpected_message", () => {
    const suite = TLS_AES_128_GCM_SHA256;
    const { secrets, client } = pair13(suite);
    const padded = sealTls13Inner(
      suite,
      secrets.server,
      0n,
      Buffer.concat([Buffer.from("pad"), Buffer.of(23), Buffer.alloc(100)]),
    );
    assert.equal(data(client.decryptRecord(padded)).toString(), "pad");
    const f = failure(client.decryptRecord(sealTls13Inner(suite, secrets.server, 1n, Buffer.alloc(10))));
    assert.equal(f.error, "unexpected_message");
    assert.equal(f.status, SEC_E_ILLEGAL_MESSAGE);
  });

  test("malformed records: short fragment, length mismatch, TLS 1.2 version", () => {
    const { client } = pair13();
    assert.equal(
      failure(client.read.open(Buffer.from([23, 3, 3, 0, 10, ...new Uint8Array(10)]))).error,
      "decode_error",
    );
    assert.equal(failure(client.read.open(Buffer.from([23, 3, 3, 0, 40, 1, 2]))).error, "decode_error");
    assert.equal(failure(client.read.open(Buffer.from([23, 3]))).error, "decode_error");
    const { client: c12 } = pair12();
    const r = client.read.open(Buffer.from([23, 3, 1, 0, 24, ...new Uint8Array(24)]));
    assert.equal(r.ok, false);
    assert.equal(
      failure(c12.read.open(Buffer.from([23, 3, 1, 0, 24, ...new Uint8Array(24)]))).error,
      "protocol_version",
    );
  });
});

describe("KeyUpdate", () => {
  for (const role of ["client", "server"] as const) {
    test(`our ${role} requests a KeyUpdate; Node re-keys and answers under the new key`, async () => {
      const s = await establish(TLS_AES_256_GCM_SHA384, { role });
      try {
        await skipTickets(s);
        const update = ok(s.layer.initiateKeyUpdate(true)).record;
        assert.equal(s.layer.write.sequence, 0n);
        s.toNode(update);
        s.node.write("after update");
        const first = ok(s.layer.decryptRecord(await s.fromNode.next()));
        assert.equal(first.kind, "handshake");
        assert.deepEqual((first as { messages: unknown[] }).messages, [
          { kind: "key-update", updateRequested: false },
        ]);
        assert.equal(s.layer.read.sequence, 0n);
        assert.equal(s.layer.hasPendingOutput, false, "an unrequested KeyUpdate needs no answer");
        assert.equal(data(s.layer.decryptRecord(await s.fromNode.next())).toString(), "after update");
        s.toNode(ok(s.layer.encrypt(Buffer.from("ours, new key"))).record);
        assert.equal((await s.nodeData(13)).toString(), "ours, new key");
        // a KeyUpdate that requests nothing: Node re-keys its read side only
        s.toNode(ok(s.layer.initiateKeyUpdate(false)).record);
        s.toNode(ok(s.layer.encrypt(Buffer.from("third key"))).record);
        assert.equal((await s.nodeData(9)).toString(), "third key");
        s.node.write("still second key");
        assert.equal(data(s.layer.decryptRecord(await s.fromNode.next())).toString(), "still second key");
        assert.deepEqual(s.nodeErrors, []);
      } finally {
        s.close();
      }
    });
  }

  test("a requested KeyUpdate is answered before the next data, once", () => {
    const { client, server } = pair13(TLS_CHACHA20_POLY1305_SHA256);
    const request = ok(client.initiateKeyUpdate(true)).record;
    const r = ok(server.decryptRecord(request));
    assert.deepEqual((r as { messages: unknown[] }).messages, [
      { kind: "key-update", updateRequested: true },
    ]);
    assert.equal(server.hasPendingOutput, true);
    // a second request before the answer went out adds no second answer
    ok(server.decryptRecord(ok(client.initiateKeyUpdate(true)).record));
    const out = ok(server.encrypt(Buffer.from("data"))).record;
    const [answer, dataRecord, extra] = records(out);
    assert.equal(extra, undefined);
    const a = ok(client.decryptRecord(answer!));
    assert.deepEqual((a as { messages: unknown[] }).messages, [
      { kind: "key-update", updateRequested: false },
    ]);
    assert.equal(data(client.decryptRecord(dataRecord!)).toString(), "data");
    assert.equal(client.hasPendingOutput, false);
  });

  test("in-place encrypt returns the pending KeyUpdate answer as a prefix", () => {
    const { client, server } = pair13(TLS_AES_256_GCM_SHA384);
    ok(server.decryptRecord(ok(client.initiateKeyUpdate(true)).record));
    const buffer = new Uint8Array(5 + 4 + 17);
    const r = ok(
      server.encryptInPlace(buffer.subarray(0, 5), buffer.subarray(5, 9).fill(0x41), buffer.subarray(9)),
    );
    assert.ok(r.prefix);
    assert.equal(server.hasPendingOutput, false);
    const a = ok(client.decryptRecord(r.prefix));
    assert.deepEqual((a as { messages: unknown[] }).messages, [
      { kind: "key-update", updateRequested: false },
    ]);
    assert.equal(data(client.decryptRecord(buffer)).toString(), "AAAA");
  });

  test("TLS 1.2 has no KeyUpdate", () => {
    const { client } = pair12();
    const f = failure(client.initiateKeyUpdate(true));
    assert.equal(f.status, SEC_E_UNSUPPORTED_FUNCTION);
  });

  test("a KeyUpdate that does not end its record is unexpected_message", () => {
    const { client, server } = pair13();
    const record = server.write.seal(22, Uint8Array.of(24, 0, 0, 1, 0, 4, 0, 0, 1));
    const f = failure(client.decryptRecord(record));
    assert.equal(f.error, "unexpected_message");
    assert.equal(f.alert, TLS1_ALERT_UNEXPECTED_MESSAGE);
    const alert = failure(server.decryptRecord(client.takePendingOutput()!));
    assert.equal(alert.remote, true);
    assert.equal(alert.alert, TLS1_ALERT_UNEXPECTED_MESSAGE);
  });
});

describe("close_notify and alerts", () => {
  for (const suite of [TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]) {
    test(`${suite.ianaName}: our close_notify ends Node's stream; Node's close_notify is SEC_I_CONTEXT_EXPIRED`, async () => {
      const s = await establish(suite, { role: "server" });
      try {
        const ended = once(s.node, "end");
        s.toNode(ok(s.layer.closeNotify()).record);
        await ended;
        assert.equal(failure(s.layer.encrypt(Buffer.from("x"))).status, SEC_E_CONTEXT_EXPIRED);
        // the engine does not answer by itself (half-open); its end() sends close_notify
        s.node.end();
        const answer = s.layer.decryptRecord(await s.fromNode.next());
        assert.deepEqual(answer, { ok: true, kind: "closed", status: SEC_I_CONTEXT_EXPIRED });
        assert.equal(failure(s.layer.decryptRecord(Buffer.alloc(30))).status, SEC_E_CONTEXT_EXPIRED);
      } finally {
        s.close();
      }
    });

    test(`${suite.ianaName}: Node's end() is read as close_notify`, async () => {
      const s = await establish(suite, { role: "client" });
      try {
        await skipTickets(s);
        s.node.end();
        const r = s.layer.decryptRecord(await s.fromNode.next());
        assert.equal(ok(r).kind, "closed");
        assert.equal(r.status, SEC_I_CONTEXT_EXPIRED);
        assert.equal(s.layer.readClosed, true);
        // half-close: we may still write
        ok(s.layer.encrypt(Buffer.from("late")));
      } finally {
        s.close();
      }
    });
  }

  test("a fatal alert we seal reaches Node as that alert", async () => {
    const s = await establish(TLS_AES_128_GCM_SHA256, { role: "server" });
    try {
      s.toNode(ok(s.layer.alert(TLS1_ALERT_FATAL, TLS1_ALERT_UNKNOWN_CA)).record);
      const e = (await s.nodeError()) as Error & { code?: string };
      assert.equal(e.code, "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
      assert.equal(s.layer.writeClosed, true);
    } finally {
      s.close();
    }
  });

  test("TLS 1.2 warning alerts are reported and do not end the connection", () => {
    const { client, server } = pair12();
    const r = ok(
      client.decryptRecord(ok(server.alert(TLS1_ALERT_WARNING, TLS1_ALERT_NO_RENEGOTIATION)).record),
    );
    assert.deepEqual(r, {
      ok: true,
      kind: "alert",
      status: SEC_E_OK,
      level: 1,
      description: 100,
      name: "no_renegotiation",
    });
  });

  test("TLS 1.3: every alert but close_notify/user_canceled is fatal, whatever its level", () => {
    const { client, server } = pair13();
    const f = failure(
      client.decryptRecord(ok(server.alert(TLS1_ALERT_WARNING, TLS1_ALERT_UNKNOWN_CA)).record),
    );
    assert.equal(f.remote, true);
    assert.equal(f.alert, TLS1_ALERT_UNKNOWN_CA);
  });
});

describe("post-handshake handshake messages", () => {
  const ticket = (n: number) => Uint8Array.of(4, 0, 0, 5, n, n, n, n, n);

  test("coalesced tickets in one record are all returned", () => {
    const { client, server } = pair13();
    const r = ok(client.decryptRecord(server.write.seal(22, Buffer.concat([ticket(1), ticket(2)]))));
    assert.deepEqual(
      (r as { messages: unknown[] }).messages.map((m) => Buffer.from((m as { message: Uint8Array }).message)),
      [Buffer.from(ticket(1)), Buffer.from(ticket(2))],
    );
  });

  test("a ticket fragmented across records is reassembled", () => {
    const { client, server } = pair13();
    const whole = ticket(7);
    const first = ok(client.decryptRecord(server.write.seal(22, whole.subarray(0, 3))));
    assert.deepEqual((first as { messages: unknown[] }).messages, []);
    const second = ok(client.decryptRecord(server.write.seal(22, whole.subarray(3))));
    assert.deepEqual((second as { messages: unknown[] }).messages, [
      { kind: "ticket", message: Buffer.from(whole) },
    ]);
  });

  test("application data inside a fragmented handshake message is unexpected_message", () => {
    const { client, server } = pair13();
    ok(client.decryptRecord(server.write.seal(22, ticket(1).subarray(0, 6))));
    assert.equal(
      failure(client.decryptRecord(server.write.seal(23, Buffer.from("x")))).error,
      "unexpected_message",
    );
  });

  test("TLS 1.3 post-handshake CertificateRequest and ClientHello are unexpected_message", () => {
    for (const type of [13, 1]) {
      const { client, server } = pair13();
      const f = failure(client.decryptRecord(server.write.seal(22, Uint8Array.of(type, 0, 0, 1, 0))));
      assert.equal(f.error, "unexpected_message");
      assert.equal(f.alert, TLS1_ALERT_UNEXPECTED_MESSAGE);
      const alert = failure(server.decryptRecord(client.takePendingOutput()!));
      assert.equal(alert.alert, TLS1_ALERT_UNEXPECTED_MESSAGE);
    }
  });

  test("change_cipher_spec after the TLS 1.3 handshake is unexpected_message", () => {
    const { client } = pair13();
    const f = failure(client.decryptRecord(Buffer.from([20, 3, 3, 0, 1, 1])));
    assert.equal(f.error, "unexpected_message");
    assert.equal(f.status, SEC_E_ILLEGAL_MESSAGE);
  });

  test("TLS 1.2 HelloRequest from Node's server is refused with no_renegotiation", async () => {
    const s = await establish(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, { role: "client" });
    try {
      assert.equal(
        s.node.renegotiate({}, () => {}),
        true,
      );
      const r = ok(s.layer.decryptRecord(await s.fromNode.next()));
      assert.deepEqual((r as { messages: unknown[] }).messages, [
        { kind: "renegotiation-refused", messageType: 0 },
      ]);
      const pending = s.layer.takePendingOutput();
      assert.ok(pending);
      s.toNode(pending);
      // OpenSSL's server treats the refusal as fatal: it fails and sends handshake_failure
      const e = (await s.nodeError()) as Error & { code?: string };
      assert.equal(e.code, "ERR_SSL_NO_RENEGOTIATION");
      const alert = failure(s.layer.decryptRecord(await s.fromNode.next()));
      assert.equal(alert.remote, true);
      assert.equal(alert.alert, 40);
    } finally {
      s.close();
    }
  });

  test("TLS 1.2 ClientHello to our server is refused with a no_renegotiation warning", () => {
    const { client, server } = pair12();
    const r = ok(server.decryptRecord(client.write.seal(22, Uint8Array.of(1, 0, 0, 2, 3, 3))));
    assert.deepEqual((r as { messages: unknown[] }).messages, [
      { kind: "renegotiation-refused", messageType: 1 },
    ]);
    const warning = ok(client.decryptRecord(server.takePendingOutput()!));
    assert.equal(warning.kind, "alert");
    assert.equal((warning as { description: number }).description, TLS1_ALERT_NO_RENEGOTIATION);
  });
});

describe("limits and cleanup", () => {
  test("sequence numbers never wrap", () => {
    const { client, server } = pair13();
    server.write.sequence = 0xffffffffffffffffn;
    client.read.sequence = 0xffffffffffffffffn;
    assert.equal(
      data(client.decryptRecord(ok(server.encrypt(Buffer.from("last"))).record)).toString(),
      "last",
    );
    const f = failure(server.encrypt(Buffer.from("wraps")));
    assert.equal(f.error, "sequence_overflow");
    assert.equal(f.status, SEC_E_CONTEXT_EXPIRED);
    assert.equal(client.read.open(Buffer.alloc(30)).ok, false);
  });

  test("in-place encrypt rejects short header/trailer buffers", () => {
    const { client } = pair12();
    const f = failure(client.encryptInPlace(new Uint8Array(5), new Uint8Array(4), new Uint8Array(16)));
    assert.equal(f.error, "buffer_too_small");
  });

  test("destroy zeroes the caller-visible state and later calls fail", () => {
    const layers: DirectRecordLayer[] = [pair13().client, pair12().server];
    for (const layer of layers) {
      layer.destroy();
      assert.equal(layer.read.destroyed, true);
      assert.equal(layer.write.destroyed, true);
      assert.equal(failure(layer.encrypt(Buffer.from("x"))).status, SEC_E_CONTEXT_EXPIRED);
      assert.equal(failure(layer.decryptRecord(Buffer.alloc(30))).status, SEC_E_CONTEXT_EXPIRED);
    }
  });
});
