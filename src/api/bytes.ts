/**
 * Byte helpers shared by the idiomatic API: the empty array and concatenation that avoids a
 * copy when one side is empty.
 *
 * Lists of unbounded length (buffered writes, received messages) go through {@link joinBytes},
 * never through a spread: spreading 200,000 chunks as arguments overflows the stack.
 *
 * @module
 */

/** A shared empty byte array (never written). */
export const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Concatenates a list of any length into one array (no spread, no recursion).
 *
 * @returns the only non-empty part itself when there is one (no copy), {@link EMPTY} when all
 *   are empty, otherwise a new array.
 */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  let only: Uint8Array | null = null;
  let nonEmpty = 0;
  for (const p of parts) {
    if (p.byteLength === 0) continue;
    total += p.byteLength;
    only = p;
    nonEmpty++;
  }
  if (nonEmpty === 0) return EMPTY;
  if (nonEmpty === 1) return only!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** {@link joinBytes} of a few arrays given as arguments (for a fixed, small number only). */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/**
 * A copy of `bytes` as a plain `Uint8Array`. (`Buffer#slice` returns a view, not a copy, so
 * `.slice()` on bytes that may be a `Buffer` is not enough before the source is zeroed or reused.)
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}
