/**
 * MD4 (RFC 1320) from `js-md4`: Node's OpenSSL 3 refuses `createHash("md4")` without the
 * process-wide legacy provider, which a library must not require. Used only for the NT hash
 * (NTLM's NTOWFv2 and the Kerberos rc4-hmac key).
 *
 * @module
 */
import md4lib from "js-md4";

/** MD4 digest of `data` (16 bytes). */
export function md4(data: Uint8Array): Uint8Array {
  return new Uint8Array(md4lib.arrayBuffer(data));
}
