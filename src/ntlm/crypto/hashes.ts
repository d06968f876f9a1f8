/**
 * MD5 and HMAC-MD5 from node:crypto over `Uint8Array`s, and constant-time comparison.
 *
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("md5");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("md5", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Equal lengths and bytes, in time independent of where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
