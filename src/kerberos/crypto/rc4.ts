/**
 * RC4 (ARCFOUR) keystream, for rc4-hmac (RFC 4757) only. Node 20's default OpenSSL provider has
 * no RC4 and npm has no well-kept RC4 package, so this is the one small exception to "no home-made
 * primitives": the textbook KSA + PRGA, tested against the RFC 6229 keystream vectors.
 *
 * @module
 */

/** Encrypts or decrypts (the same operation) `data` with a fresh RC4 state keyed by `key`. */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length === 0 || key.length > 256) throw new RangeError("RC4 key must be 1..256 bytes");
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}
