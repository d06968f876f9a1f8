/**
 * AES in CBC mode with ciphertext stealing, the Kerberos way (RFC 3962 §5, RFC 8009 §5: CBC-CS3,
 * the last two blocks always swapped, the final block truncated), composed from Node's AES-CBC and
 * AES-ECB since OpenSSL's CTS mode is not reachable through `createCipheriv`. Kerberos always
 * uses the zero IV and inputs of at least one block (the confounder).
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { KerberosError } from "../errors.js";

const BLOCK = 16;
const ZERO_IV = new Uint8Array(BLOCK);

function algorithm(key: Uint8Array, mode: "cbc" | "ecb"): string {
  if (key.length !== 16 && key.length !== 32)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `AES key must be 16 or 32 bytes, not ${key.length}`);
  return `aes-${key.length * 8}-${mode}`;
}

function cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv(algorithm(key, "cbc"), key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const d = createDecipheriv(algorithm(key, "cbc"), key, iv).setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** One raw AES block encryption (what RFC 3961's DR and RFC 3962's PRF apply). */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const c = createCipheriv(algorithm(key, "ecb"), key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

function aesDecryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const d = createDecipheriv(algorithm(key, "ecb"), key, null).setAutoPadding(false);
  return Buffer.concat([d.update(block), d.final()]);
}

/** AES-CBC-CS3 encryption of `plaintext` (at least 16 bytes) with `iv` (default zero). */
export function ctsEncrypt(key: Uint8Array, plaintext: Uint8Array, iv: Uint8Array = ZERO_IV): Uint8Array {
  if (plaintext.length < BLOCK)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", "AES-CTS needs at least one block of input");
  if (plaintext.length === BLOCK) return cbcEncrypt(key, iv, plaintext);
  const tail = plaintext.length % BLOCK;
  const padded = new Uint8Array(plaintext.length + (tail === 0 ? 0 : BLOCK - tail));
  padded.set(plaintext);
  const c = cbcEncrypt(key, iv, padded);
  const n = c.length;
  const out = new Uint8Array(plaintext.length);
  out.set(c.subarray(0, n - 2 * BLOCK));
  out.set(c.subarray(n - BLOCK), n - 2 * BLOCK); // the last block moves forward…
  out.set(c.subarray(n - 2 * BLOCK, n - 2 * BLOCK + (tail === 0 ? BLOCK : tail)), n - BLOCK); // …the other is cut
  return out;
}

/** Inverse of {@link ctsEncrypt}. */
export function ctsDecrypt(key: Uint8Array, ciphertext: Uint8Array, iv: Uint8Array = ZERO_IV): Uint8Array {
  if (ciphertext.length < BLOCK)
    throw new KerberosError("ERR_KRB_MALFORMED", "AES-CTS ciphertext shorter than one block");
  if (ciphertext.length === BLOCK) return cbcDecrypt(key, iv, ciphertext);
  const len = ciphertext.length;
  const blocks = Math.ceil(len / BLOCK);
  const r = len - (blocks - 1) * BLOCK; // bytes in the final (stolen) block: 1..16
  const head = ciphertext.subarray(0, (blocks - 2) * BLOCK);
  const lastFull = ciphertext.subarray((blocks - 2) * BLOCK, (blocks - 1) * BLOCK); // E(P_n ⊕ C_{n-1})
  const partial = ciphertext.subarray((blocks - 1) * BLOCK); // the first r bytes of C_{n-1}
  const d = aesDecryptBlock(key, lastFull);
  const cPrev = new Uint8Array(BLOCK);
  cPrev.set(partial);
  cPrev.set(d.subarray(r), r);
  const front = cbcDecrypt(key, iv, Buffer.concat([head, cPrev]));
  const out = new Uint8Array(len);
  out.set(front);
  for (let i = 0; i < r; i++) out[(blocks - 1) * BLOCK + i] = d[i]! ^ partial[i]!;
  return out;
}
