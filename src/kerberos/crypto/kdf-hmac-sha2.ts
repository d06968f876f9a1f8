/**
 * RFC 8009 §3 KDF-HMAC-SHA2: NIST SP 800-108 counter-mode KDF with HMAC-SHA-256/384, one
 * iteration (every output Kerberos asks for fits in one hash).
 *
 * @module
 */
import { createHmac } from "node:crypto";

/** The first `bits` bits of HMAC(key, 00000001 ‖ label ‖ 00 ‖ context ‖ u32be(bits)). */
export function kdfHmacSha2(
  hash: "sha256" | "sha384",
  key: Uint8Array,
  label: Uint8Array,
  bits: number,
  context: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const k = Buffer.alloc(4);
  k.writeUInt32BE(bits);
  const h = createHmac(hash, key);
  h.update(Uint8Array.of(0, 0, 0, 1));
  h.update(label);
  h.update(Uint8Array.of(0));
  h.update(context);
  h.update(k);
  return new Uint8Array(h.digest().subarray(0, bits / 8));
}
