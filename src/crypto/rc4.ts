/**
 * RC4 (ARCFOUR), shared by the two protocols that still need it: NTLM (key exchange, sealing,
 * signatures) and Kerberos rc4-hmac (RFC 4757).
 *
 * **The one home-made cipher in this project**, an exception to DESIGN.md's "no home-made
 * crypto": Node's OpenSSL 3 offers RC4 only through the process-wide legacy provider, and npm has
 * no well-kept RC4 (`arc4` has a few thousand downloads, `rc4` is a PRNG). It is the textbook
 * KSA + PRGA, tested against the RFC 6229 keystreams, OpenSSL's own RC4, the MS-NLMP §4.2.4 and
 * MIT krb5 rc4-hmac vectors (test/crypto/rc4.test.ts, test/ntlm, test/kerberos). Use it for
 * nothing but compatibility with those protocols.
 *
 * @module
 */

/** An RC4 keystream whose state carries over from one call to the next (NTLM's "handle"). */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError("RC4 key must be 1 to 256 bytes");
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k]! + key[k % key.length]!) & 0xff;
      const t = s[k]!;
      s[k] = s[j]!;
      s[j] = t;
    }
  }

  /** XORs `data` with the next `data.length` keystream bytes into a new array. */
  process(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length);
    this.processInto(data, out);
    return out;
  }

  /** XORs `input` with the keystream into `output` (which may be `input`, for in-place use). */
  processInto(input: Uint8Array, output: Uint8Array): void {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let n = 0; n < input.length; n++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      output[n] = input[n]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
  }
}

/** One-shot RC4K(key, data) as MS-NLMP writes it. */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Rc4(key).process(data);
}
