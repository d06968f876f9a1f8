/**
 * The s2kparams of the AES encryption types (RFC 3962 §4, RFC 8009 §4): a 32-bit big-endian
 * PBKDF2 iteration count. Bounded, so a hostile KDC cannot make a client spin for hours.
 *
 * @module
 */
import { KerberosError } from "../errors.js";

/** The largest iteration count accepted (MIT's default cap is the same order of magnitude). */
export const MAX_ITERATIONS = 1 << 24;

/** @returns s2kparams for `iterations`. */
export function iterationParams(iterations: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint32(0, iterations >>> 0);
  return p;
}

/** @returns the iteration count in `params`; throws `ERR_KRB_BAD_ARGUMENT` for anything else. */
export function parseIterations(params: Uint8Array): number {
  if (params.length !== 4)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `s2kparams must be 4 bytes, not ${params.length}`);
  const n = new DataView(params.buffer, params.byteOffset, 4).getUint32(0);
  if (n === 0 || n > MAX_ITERATIONS)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `unsupported PBKDF2 iteration count ${n}`);
  return n;
}

/** A salt given as text is UTF-8; bytes are used as they are. */
export function saltBytes(salt: string | Uint8Array): Uint8Array {
  return typeof salt === "string" ? new TextEncoder().encode(salt) : salt;
}
