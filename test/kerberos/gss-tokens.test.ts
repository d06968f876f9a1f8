/**
 * RFC 4121 per-message tokens (known answers from gokrb5's test vectors: aes128 key
 * 14f9bde6…5bd3), the 0x8003 authenticator checksum, channel-binding hash, GSS framing and
 * sequence windows.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { encryptionType } from "../../src/kerberos/crypto/registry.js";
import {
  checkBindings,
  decodeGssChecksum,
  encodeGssChecksum,
  GSS_FLAGS,
} from "../../src/kerberos/gss/authenticator-checksum.js";
import {
  applicationBindings,
  channelBindingsHash,
  fromSecChannelBindings,
} from "../../src/kerberos/gss/channel-bindings.js";
import {
  MS_KRB5_OID_DER,
  TOK_ID,
  unwrapGssToken,
  wrapGssToken,
} from "../../src/kerberos/gss/initial-context-token.js";
import { makeMic, verifyMic } from "../../src/kerberos/gss/mic-token.js";
import { getMic, unwrapMessage, verifyMicToken, wrapMessage } from "../../src/kerberos/gss/per-message.js";
import type { PerMessageContext } from "../../src/kerberos/gss/per-message-context.js";
import { makeRc4Mic, unwrapRc4, verifyRc4Mic, wrapRc4 } from "../../src/kerberos/gss/rc4-tokens.js";
import { SequenceWindow } from "../../src/kerberos/gss/sequence-window.js";
import { sealForSspi, unsealFromSspi } from "../../src/kerberos/gss/sspi-wrap-layout.js";
import { unwrap, wrap } from "../../src/kerberos/gss/wrap-token.js";

const hex = (s: string) => Buffer.from(s, "hex");
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const key = { etype: 17, value: hex("14f9bde6b50ec508201a97f74c4e5bd3") };
const initiator: PerMessageContext = { key, isAcceptor: false, acceptorSubkey: false };
const acceptor: PerMessageContext = { key, isAcceptor: true, acceptorSubkey: false };

describe("RFC 4121 MIC tokens", () => {
  const payload = hex("deadbeef");
  test("known answers, both directions", () => {
    assert.equal(
      toHex(makeMic(initiator, 0n, payload)),
      "040400ffffffffff00000000000000009649ca09d2f1bc51ff6e5ca3",
    );
    assert.equal(
      toHex(makeMic(acceptor, 0x575e85d6n, payload)),
      "040401ffffffffff00000000575e85d6c34d12ba3e5b1b1310cd9cb3",
    );
    assert.deepEqual(
      verifyMic(initiator, hex("040401ffffffffff00000000575e85d6c34d12ba3e5b1b1310cd9cb3"), payload),
      {
        seq: 0x575e85d6n,
      },
    );
  });
  test("wrong message, wrong key, reflected token, bad framing", () => {
    const token = makeMic(acceptor, 5n, payload);
    assert.throws(() => verifyMic(initiator, token, hex("deadbeee")), { code: "ERR_KRB_INTEGRITY" });
    const other = { ...initiator, key: { etype: 17, value: hex("14f9bde6b50ec508201a97f74c4effff") } };
    assert.throws(() => verifyMic(other, token, payload), { code: "ERR_KRB_INTEGRITY" });
    assert.throws(() => verifyMic(acceptor, token, payload), { code: "ERR_KRB_PROTOCOL" });
    assert.throws(() => verifyMic(initiator, token.subarray(1), payload), { code: "ERR_KRB_MALFORMED" });
    const bad = Buffer.from(token);
    bad[4] = 0;
    assert.throws(() => verifyMic(initiator, bad, payload), { code: "ERR_KRB_MALFORMED" });
  });
});

describe("RFC 4121 Wrap tokens", () => {
  test("integrity-only known answers (EC 12, RRC 0), both directions", () => {
    const data = hex("01010000");
    assert.equal(
      toHex(wrap(initiator, 0n, data, { confidential: false })),
      "050400ff000c000000000000000000000101000079a033510b6f127212242b97",
    );
    const fromAcceptor = hex("050401ff000c000000000000575e85d601010000853b728d5268525a1386c19f");
    assert.equal(toHex(wrap(acceptor, 0x575e85d6n, data, { confidential: false })), toHex(fromAcceptor));
    const u = unwrap(initiator, fromAcceptor);
    assert.deepEqual(u, { data: new Uint8Array(data), seq: 0x575e85d6n, confidential: false });
  });

  for (const etype of [17, 18, 19, 20]) {
    test(`etype ${etype}: sealed and unsealed round trips with RRC 0, 12, 28 and any EC; tampering detected`, () => {
      const e = encryptionType(etype);
      const k = { etype, value: e.randomToKey(new Uint8Array(e.keyBytes).fill(9)) };
      const a = { key: k, isAcceptor: true, acceptorSubkey: true };
      const i = { key: k, isAcceptor: false, acceptorSubkey: true };
      const message = Buffer.from("a message of 31 bytes, sealed!!");
      for (const confidential of [true, false]) {
        for (const rrc of [0, 12, 28, 1000]) {
          const token = wrap(i, 42n, message, { confidential, rrc, ec: confidential ? 5 : 0 });
          assert.equal(Buffer.from(token).readUInt16BE(6), rrc);
          const out = unwrap(a, token);
          assert.deepEqual(Buffer.from(out.data), message);
          assert.equal(out.seq, 42n);
          assert.equal(out.confidential, confidential);
          assert.equal(token[2], confidential ? 0x06 : 0x04, "flags: sealed? + acceptor subkey");
          for (const at of [16, token.length - 1, 9]) {
            const bad = Buffer.from(token);
            bad[at]! ^= 0x01;
            assert.throws(() => unwrap(a, bad), { code: "ERR_KRB_INTEGRITY" }, `byte ${at}`);
          }
        }
      }
      assert.throws(() => unwrap(i, wrap(i, 1n, message, { confidential: true })), {
        code: "ERR_KRB_PROTOCOL",
      });
      const noSubkey = { ...a, acceptorSubkey: false };
      assert.throws(() => unwrap(noSubkey, wrap(i, 1n, message, { confidential: true })), {
        code: "ERR_KRB_PROTOCOL",
      });
    });
  }

  test("a sealed AES-SHA1 token is 16 + 16 + data + EC + 16 + 12 bytes; empty data works", () => {
    const t = wrap(initiator, 0n, new Uint8Array(14), { confidential: true });
    assert.equal(t.length, 16 + 16 + 14 + 16 + 12);
    assert.equal(
      unwrap(acceptor, wrap(initiator, 0n, new Uint8Array(0), { confidential: true })).data.length,
      0,
    );
  });

  test("Windows' EncryptMessage layout: token of 60 (AES-SHA1), 64 (aes128-sha256), 72 (aes256-sha384) bytes + data", () => {
    for (const [etype, size] of [
      [17, 60],
      [18, 60],
      [19, 64],
      [20, 72],
    ] as const) {
      const e = encryptionType(etype);
      const k = { etype, value: e.randomToKey(new Uint8Array(e.keyBytes).fill(4)) };
      const i = { key: k, isAcceptor: false, acceptorSubkey: true };
      const a = { key: k, isAcceptor: true, acceptorSubkey: true };
      const sealed = sealForSspi(i, 9n, Buffer.from("in place"));
      assert.equal(sealed.token.length, size);
      assert.equal(sealed.data.length, 8);
      assert.equal(Buffer.from(unsealFromSspi(a, sealed.token, sealed.data).data).toString(), "in place");
      assert.throws(() => unsealFromSspi(a, sealed.token.subarray(0, 10), sealed.data), {
        code: "ERR_KRB_MALFORMED",
      });
    }
  });

  test("rc4-hmac keys are refused for RFC 4121 tokens (RFC 4757 has its own format)", () => {
    const rc4 = { key: { etype: 23, value: new Uint8Array(16) }, isAcceptor: false, acceptorSubkey: false };
    assert.throws(() => wrap(rc4, 0n, new Uint8Array(1), { confidential: true }), {
      code: "ERR_KRB_UNSUPPORTED",
    });
  });
});

describe("RFC 4757 tokens (rc4-hmac contexts)", () => {
  const rc4Key = { etype: 23, value: Buffer.alloc(16, 0x42) };
  const i = { key: rc4Key, isAcceptor: false, acceptorSubkey: false };
  const a = { key: rc4Key, isAcceptor: true, acceptorSubkey: false };
  test("Wrap sealed and unsealed, MIC: round trips, sequence, direction, tampering", () => {
    for (const confidential of [true, false]) {
      const token = wrapRc4(i, 77, Buffer.from("rc4 data"), confidential);
      assert.equal(token[0], 0x60);
      const out = unwrapRc4(a, token);
      assert.equal(Buffer.from(out.data).toString(), "rc4 data");
      assert.equal(out.seq, 77);
      assert.equal(out.confidential, confidential);
      assert.throws(() => unwrapRc4(i, token), { code: "ERR_KRB_PROTOCOL" });
      const bad = Buffer.from(token);
      bad[bad.length - 2]! ^= 1;
      assert.throws(() => unwrapRc4(a, bad), { code: "ERR_KRB_INTEGRITY" });
    }
    const mic = makeRc4Mic(a, 5, Buffer.from("m"));
    assert.equal(verifyRc4Mic(i, mic, Buffer.from("m")).seq, 5);
    assert.throws(() => verifyRc4Mic(i, mic, Buffer.from("n")), { code: "ERR_KRB_INTEGRITY" });
    assert.throws(() => verifyRc4Mic(i, mic.subarray(0, 30), Buffer.from("m")), {
      code: "ERR_KRB_MALFORMED",
    });
    assert.throws(() => wrapRc4(initiator, 0, Buffer.from("x"), true), { code: "ERR_KRB_BAD_ARGUMENT" });
  });
});

describe("per-message entry points pick the token format from the key", () => {
  test("AES keys give RFC 4121 tokens, rc4-hmac keys RFC 4757 tokens", () => {
    for (const [etype, micId, wrapId] of [
      [18, 0x0404, 0x0504],
      [23, 0x6000, 0x6000],
    ] as const) {
      const e = encryptionType(etype);
      const k = { etype, value: e.randomToKey(new Uint8Array(e.keyBytes).fill(6)) };
      const i = { key: k, isAcceptor: false, acceptorSubkey: false };
      const a = { key: k, isAcceptor: true, acceptorSubkey: false };
      const mic = getMic(i, 3n, Buffer.from("m"));
      assert.equal((mic[0]! << 8) | (etype === 23 ? 0 : mic[1]!), micId);
      assert.equal(verifyMicToken(a, mic, Buffer.from("m")).seq, 3n);
      const token = wrapMessage(a, 4n, Buffer.from("w"), { confidential: true });
      assert.equal((token[0]! << 8) | (etype === 23 ? 0 : token[1]!), wrapId);
      assert.deepEqual(unwrapMessage(i, token), {
        data: new Uint8Array(Buffer.from("w")),
        seq: 4n,
        confidential: true,
      });
    }
  });
});

describe("sequence windows", () => {
  test("in order, duplicate, gap, out of order, too old", () => {
    const w = new SequenceWindow(100n);
    assert.equal(w.check(100n), "ok");
    assert.equal(w.check(101n), "ok");
    assert.equal(w.check(101n), "duplicate");
    assert.equal(w.check(105n), "gap");
    assert.equal(w.check(103n), "unseq");
    assert.equal(w.check(103n), "duplicate");
    assert.equal(w.check(106n), "ok");
    assert.equal(w.check(10n), "old");
  });
});

describe("authenticator checksum, channel bindings, GSS framing", () => {
  const tlsData = Buffer.concat([Buffer.from("tls-server-end-point:"), hex("aa".repeat(32))]);
  test("channel-binding hash is MD5 of the GSS structure", () => {
    const expected = createHash("md5")
      .update(Buffer.concat([new Uint8Array(16), hex("35000000"), tlsData]))
      .digest();
    assert.deepEqual(Buffer.from(channelBindingsHash(applicationBindings(tlsData))), expected);
  });
  test("SEC_CHANNEL_BINDINGS (Windows layout) gives the same bindings", () => {
    const header = Buffer.alloc(32);
    header.writeUInt32LE(tlsData.length, 24);
    header.writeUInt32LE(32, 28);
    const cb = fromSecChannelBindings(Buffer.concat([header, tlsData]));
    assert.deepEqual(channelBindingsHash(cb), channelBindingsHash(applicationBindings(tlsData)));
    header.writeUInt32LE(1000, 28);
    assert.throws(() => fromSecChannelBindings(Buffer.concat([header, tlsData])), {
      code: "ERR_KRB_MALFORMED",
    });
  });
  test("0x8003 checksum: layout, flags, bindings check", () => {
    const flags = GSS_FLAGS.MUTUAL | GSS_FLAGS.SEQUENCE | GSS_FLAGS.CONF | GSS_FLAGS.INTEG;
    const cb = applicationBindings(tlsData);
    const value = encodeGssChecksum(flags, cb);
    assert.equal(value.length, 24);
    assert.equal(Buffer.from(value).readUInt32LE(0), 16);
    assert.equal(Buffer.from(value).readUInt32LE(20), flags);
    const decoded = decodeGssChecksum(value);
    assert.equal(decoded.flags, flags);
    assert.equal(checkBindings(decoded, cb), "matched");
    assert.equal(checkBindings(decoded, applicationBindings(Buffer.from("other"))), "mismatch");
    assert.equal(checkBindings(decodeGssChecksum(encodeGssChecksum(flags)), cb), "absent");
    assert.equal(checkBindings(decoded, undefined), "not-required");
    assert.throws(() => encodeGssChecksum(GSS_FLAGS.DELEG), { code: "ERR_KRB_UNSUPPORTED" });
    assert.throws(() => decodeGssChecksum(value.subarray(0, 20)), { code: "ERR_KRB_MALFORMED" });
  });
  test("GSS token framing: short and long lengths, both Kerberos OIDs, strict checks", () => {
    for (const size of [10, 200, 70000]) {
      const inner = new Uint8Array(size).fill(0x6e);
      const token = wrapGssToken(TOK_ID.AP_REQ, inner);
      const back = unwrapGssToken(token);
      assert.equal(back.tokId, TOK_ID.AP_REQ);
      assert.equal(back.inner.length, size);
    }
    const ms = unwrapGssToken(wrapGssToken(TOK_ID.AP_REP, Uint8Array.of(1), MS_KRB5_OID_DER));
    assert.deepEqual(ms.oid, MS_KRB5_OID_DER);
    const token = wrapGssToken(TOK_ID.AP_REQ, Uint8Array.of(1, 2, 3));
    assert.throws(() => unwrapGssToken(token.subarray(0, token.length - 1)), { code: "ERR_KRB_MALFORMED" });
    const spnego = Buffer.from(token);
    spnego[4] = 0x2b;
    assert.throws(() => unwrapGssToken(spnego), /OID/);
  });
});
