/**
 * Byte helpers shared by the idiomatic API: the empty array and concatenation that avoids a
 * copy when one side is empty.
 *
 * @module
 */

/** A shared empty byte array (never written). */
export const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Concatenates `parts` into one array.
 *
 * @returns the only non-empty part itself when there is one (no copy), {@link EMPTY} when all
 *   are empty, otherwise a new array.
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((p) => p.byteLength > 0);
  if (nonEmpty.length === 0) return EMPTY;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const total = nonEmpty.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of nonEmpty) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
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
