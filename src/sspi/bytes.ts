/**
 * Byte helpers. Node's `Buffer#slice` returns a *view* (unlike `Uint8Array#slice`), so code
 * that must copy bytes it may receive as a `Buffer` uses {@link copyBytes}.
 *
 * @module
 */

/** A new `Uint8Array` holding a copy of `bytes` (never a view, whatever the input's class). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
