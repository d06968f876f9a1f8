/**
 * RFC 3961 §5.1 n-fold: stretches or shrinks a byte string to `outBytes` bytes by adding rotated
 * copies of it with ones'-complement arithmetic. Used to turn key-usage constants into a cipher
 * block for DK.
 *
 * @module
 */

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Bit `i` (0 = most significant bit of byte 0) of `bytes`. */
function bitAt(bytes: Uint8Array, i: number): number {
  return ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
}

/** `input` rotated right by `n` bits, as a bit string of the same length. */
function rotateRight(input: Uint8Array, n: number): Uint8Array {
  const bits = input.length * 8;
  const out = new Uint8Array(input.length);
  for (let i = 0; i < bits; i++) {
    const from = (((i - n) % bits) + bits) % bits;
    if (bitAt(input, from)) out[i >> 3]! |= 0x80 >> (i & 7);
  }
  return out;
}

/**
 * @param input - a non-empty byte string
 * @param outBytes - the output length in bytes (Kerberos always folds to whole bytes)
 * @returns `outBytes`-fold(`input`) per RFC 3961 §5.1
 */
export function nfold(input: Uint8Array, outBytes: number): Uint8Array {
  if (input.length === 0 || outBytes <= 0) throw new RangeError("n-fold needs a non-empty input and output");
  const lcm = (input.length * outBytes) / gcd(input.length, outBytes);
  // The input repeated lcm/len times, copy k rotated right by 13·k bits.
  const stretched = new Uint8Array(lcm);
  for (let k = 0; k < lcm / input.length; k++) stretched.set(rotateRight(input, 13 * k), k * input.length);
  // Ones'-complement sum of the outBytes-sized chunks: add byte by byte from the right, end-around carry.
  const sum = new Uint8Array(outBytes);
  for (let chunk = 0; chunk < lcm / outBytes; chunk++) {
    let carry = 0;
    for (let i = outBytes - 1; i >= 0; i--) {
      const s = sum[i]! + stretched[chunk * outBytes + i]! + carry;
      sum[i] = s & 0xff;
      carry = s >> 8;
    }
    while (carry) {
      for (let i = outBytes - 1; i >= 0 && carry; i--) {
        const s = sum[i]! + carry;
        sum[i] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return sum;
}
