/**
 * RFC 3961 §5.1 key derivation for the AES (RFC 3962) encryption types: DR iterates the block
 * cipher over the n-folded constant, DK = random-to-key(DR), which for AES is the identity.
 * The per-usage keys are DK(base, usage ‖ 0x99 | 0xAA | 0x55) (RFC 3961 §5.3).
 *
 * @module
 */
import { aesEncryptBlock } from "./aes-cts.js";
import { nfold } from "./nfold.js";

/** The derived-key kinds of RFC 3961 §5.3 and RFC 8009 §5, with their well-known octet. */
export const KEY_DERIVATION = { CHECKSUM: 0x99, ENCRYPTION: 0xaa, INTEGRITY: 0x55 } as const;

/** `usage` as four big-endian octets followed by the kind octet (RFC 3961 §5.3). */
export function usageConstant(usage: number, kind: number): Uint8Array {
  const c = new Uint8Array(5);
  new DataView(c.buffer).setUint32(0, usage >>> 0);
  c[4] = kind;
  return c;
}

/** DR(key, constant): as many AES blocks as the key is long, each the encryption of the last. */
export function deriveRandom(key: Uint8Array, constant: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length);
  let block: Uint8Array = nfold(constant, 16);
  for (let filled = 0; filled < key.length; filled += 16) {
    block = aesEncryptBlock(key, block);
    out.set(block.subarray(0, Math.min(16, key.length - filled)), filled);
  }
  return out;
}

/** DK(key, constant) for AES: random-to-key is the identity, so DK = DR. */
export function deriveKey(key: Uint8Array, constant: Uint8Array): Uint8Array {
  return deriveRandom(key, constant);
}
