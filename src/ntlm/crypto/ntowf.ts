/**
 * The NT hash and NTOWFv2 (MS-NLMP §3.3.2).
 *
 * - NT hash = MD4(UTF-16LE(password)).
 * - NTOWFv2 = ResponseKeyNT = HMAC_MD5(NT hash, UTF-16LE(Uppercase(User) ‖ UserDom)); the domain
 *   keeps its case.
 *
 * @module
 */

import { md4 } from "../../crypto/md4.js";
import { utf16le } from "../messages/wire.js";
import { hmacMd5 } from "./hashes.js";

/** MD4 of the UTF-16LE password: what a user store keeps instead of the password. */
export function ntHash(password: string): Uint8Array {
  return md4(utf16le(password));
}

/**
 * Upper-cases one UTF-16 code unit at a time, as Windows' RtlUpcaseUnicodeString does: a
 * character whose upper case is longer (`ß` → `SS`) stays as it is.
 */
export function upcase(text: string): string {
  let out = "";
  for (const c of text) {
    const u = c.toUpperCase();
    out += u.length === c.length ? u : c;
  }
  return out;
}

/** ResponseKeyNT for `user` in `domain`, from the NT hash. */
export function ntowfv2(ntHashValue: Uint8Array, user: string, domain: string): Uint8Array {
  return hmacMd5(ntHashValue, utf16le(upcase(user) + domain));
}
