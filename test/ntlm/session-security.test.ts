/**
 * Session security after an exchange: sequence numbers per direction, replayed and reordered
 * messages refused without disturbing the stream, tampering detected (and the direction then
 * unusable), multi-buffer signatures, and the key variants (no KEY_EXCH, 56- and 40-bit seal keys).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sealKey, signKey } from "../../src/ntlm/crypto/session-keys.js";
import {
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
} from "../../src/ntlm/negotiate-flags.js";
import { NtlmError } from "../../src/ntlm/ntlm-error.js";
import { NtlmSessionSecurity } from "../../src/ntlm/session-security.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_OUT_OF_SEQUENCE,
} from "../../src/sspi/status.js";
import { hex, SPEC } from "./support/bytes.js";
import { makeClient, makeServer, messages } from "./support/exchange.js";

const text = (s: string) => new TextEncoder().encode(s);

async function pair() {
  const client = makeClient();
  const m = messages(client, makeServer());
  const user = await m.context.authenticate(m.authenticate);
  return { c: client.result!.session!, s: user.session! };
}

function isKind(kind: string, status: number) {
  return (e: unknown) => e instanceof NtlmError && e.kind === kind && e.status === status;
}

describe("NTLM session security", () => {
  it("server-to-client keys (cross-checked values for the §4.2.4 session key)", () => {
    assert.equal(hex(signKey(SPEC.randomSessionKey, "server-to-client")), "d04d6f10741041d1d246d64188d7a8ad");
    assert.equal(
      hex(sealKey(SPEC.randomSessionKey, 0xe2888235, "server-to-client")),
      "9355f3a957c1583d25c4c2f11e40390e",
    );
  });

  it("seal key truncation: NTLMSSP_NEGOTIATE_56 uses 7 bytes, neither 128 nor 56 uses 5", () => {
    const k = new Uint8Array(16).map((_, i) => i + 1);
    const k7 = k.slice(0, 7);
    const k5 = k.slice(0, 5);
    const other = (b: Uint8Array) => {
      const c = new Uint8Array(16);
      c.set(b);
      c.fill(0xee, b.length);
      return c;
    };
    assert.equal(
      hex(sealKey(k, NTLMSSP_NEGOTIATE_56, "client-to-server")),
      hex(sealKey(other(k7), NTLMSSP_NEGOTIATE_56, "client-to-server")),
    );
    assert.equal(hex(sealKey(k, 0, "client-to-server")), hex(sealKey(other(k5), 0, "client-to-server")));
    assert.notEqual(
      hex(sealKey(k, 0, "client-to-server")),
      hex(sealKey(k, NTLMSSP_NEGOTIATE_56, "client-to-server")),
    );
  });

  it("sequence numbers advance per direction and are shared by signing and sealing", async () => {
    const { c, s } = await pair();
    const sig0 = c.sign(text("a"));
    const { sealed, signature: sig1 } = c.seal(text("b"));
    assert.equal(hex(sig0.subarray(12)), "00000000");
    assert.equal(hex(sig1.subarray(12)), "01000000");
    s.verify(text("a"), sig0);
    assert.deepEqual(s.unseal(sealed, sig1), text("b"));
    assert.deepEqual(c.sequence, { send: 2, receive: 0 });
    assert.deepEqual(s.sequence, { send: 0, receive: 2 });
  });

  it("a replayed message is out of sequence, and the stream goes on", async () => {
    const { c, s } = await pair();
    const first = c.wrap(text("one"));
    const second = c.wrap(text("two"));
    assert.deepEqual(s.unwrap(first), text("one"));
    assert.throws(() => s.unwrap(first), isKind("out-of-sequence", SEC_E_OUT_OF_SEQUENCE));
    assert.deepEqual(s.unwrap(second), text("two"));
  });

  it("a reordered message is out of sequence, and the expected one still verifies", async () => {
    const { c, s } = await pair();
    const first = c.sign(text("one"));
    const second = c.sign(text("two"));
    assert.throws(
      () => s.verify(text("two"), second),
      (e: unknown) =>
        isKind("out-of-sequence", SEC_E_OUT_OF_SEQUENCE)(e) &&
        /reordered or missing/.test((e as NtlmError).reason),
    );
    s.verify(text("one"), first);
    s.verify(text("two"), second);
  });

  it("a tampered message is altered; that direction is then unusable, the other is not", async () => {
    const { c, s } = await pair();
    const token = c.wrap(text("transfer 100"));
    token[token.length - 1] = token[token.length - 1]! ^ 0x01;
    assert.throws(() => s.unwrap(token), isKind("message-altered", SEC_E_MESSAGE_ALTERED));
    assert.throws(() => s.unwrap(c.wrap(text("next"))), isKind("message-altered", SEC_E_MESSAGE_ALTERED));
    assert.deepEqual(c.unwrap(s.wrap(text("reply"))), text("reply"));
  });

  it("a tampered signature or a signature over other data is altered", async () => {
    const { c, s } = await pair();
    const sig = c.sign(text("data"));
    assert.throws(() => s.verify(text("datA"), sig), isKind("message-altered", SEC_E_MESSAGE_ALTERED));
    const { c: c2, s: s2 } = await pair();
    const sig2 = c2.sign(text("data"));
    sig2[5] = sig2[5]! ^ 0x80;
    assert.throws(() => s2.verify(text("data"), sig2), isKind("message-altered", SEC_E_MESSAGE_ALTERED));
  });

  it("several buffers are signed as their concatenation", async () => {
    const { c, s } = await pair();
    s.verify(text("header|body"), c.sign([text("header|"), text("body")]));
  });

  it("without KEY_EXCH the checksum is not encrypted and both ends still agree", () => {
    const flags =
      NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL;
    const key = new Uint8Array(16).fill(7);
    const c = new NtlmSessionSecurity(key, flags, "client");
    const s = new NtlmSessionSecurity(key, flags, "server");
    const withKx = new NtlmSessionSecurity(key, flags | NTLMSSP_NEGOTIATE_KEY_EXCH, "client");
    const a = c.sign(text("x"));
    assert.notEqual(hex(a), hex(withKx.sign(text("x"))));
    s.verify(text("x"), a);
    assert.deepEqual(s.unwrap(c.wrap(text("sealed"))), text("sealed"));
  });

  it("wrap without SEAL: signature ‖ plaintext (MS-NLMP), or sealed with alwaysSeal (gss-ntlmssp)", () => {
    const flags =
      NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_KEY_EXCH;
    const key = new Uint8Array(16).fill(9);
    const c = new NtlmSessionSecurity(key, flags, "client");
    const s = new NtlmSessionSecurity(key, flags, "server");
    const plain = c.wrap(text("visible"));
    assert.equal(Buffer.from(plain.subarray(16)).toString(), "visible");
    assert.deepEqual(s.unwrap(plain), text("visible"));
    const sealed = c.wrap(text("hidden"), { alwaysSeal: true });
    assert.notEqual(Buffer.from(sealed.subarray(16)).toString(), "hidden");
    assert.deepEqual(s.unwrap(sealed, { alwaysSeal: true }), text("hidden"));
    assert.throws(
      () => c.seal(text("x")),
      (e) => e instanceof NtlmError && e.kind === "unsupported",
    );
  });

  it("refuses NTLMv1-style session security (no extended session security)", () => {
    assert.throws(
      () =>
        new NtlmSessionSecurity(
          new Uint8Array(16),
          NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
          "client",
        ),
      isKind("algorithm-mismatch", SEC_E_ALGORITHM_MISMATCH),
    );
  });

  it("malformed signatures and wrap tokens are invalid tokens", async () => {
    const { s } = await pair();
    assert.throws(
      () => s.verify(text("x"), new Uint8Array(15)),
      (e) => e instanceof NtlmError && e.kind === "invalid-token",
    );
    const bad = new Uint8Array(16);
    bad[0] = 2;
    assert.throws(
      () => s.verify(text("x"), bad),
      (e) => e instanceof NtlmError && e.kind === "invalid-token",
    );
    assert.throws(
      () => s.unwrap(new Uint8Array(3)),
      (e) => e instanceof NtlmError && e.kind === "invalid-token",
    );
  });
});
