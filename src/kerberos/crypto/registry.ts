/**
 * Encryption and checksum types by number: the one place that says what this library supports.
 *
 * @module
 */
import { KerberosError } from "../errors.js";
import { aes128CtsHmacSha1, aes256CtsHmacSha1 } from "./aes-hmac-sha1.js";
import { aes128CtsHmacSha256, aes256CtsHmacSha384 } from "./aes-hmac-sha2.js";
import type { EncryptionType } from "./encryption-type.js";
import { rc4Hmac } from "./rc4-hmac.js";

/** Every supported etype, strongest first (the order a client offers them in). */
export const SUPPORTED_ENCTYPES: readonly EncryptionType[] = [
  aes256CtsHmacSha384,
  aes128CtsHmacSha256,
  aes256CtsHmacSha1,
  aes128CtsHmacSha1,
  rc4Hmac,
];

const byEtype = new Map(SUPPORTED_ENCTYPES.map((e) => [e.etype, e]));
const byChecksumType = new Map(SUPPORTED_ENCTYPES.map((e) => [e.checksumType, e]));

/** @returns the etype numbered `etype`, or undefined. */
export function findEncryptionType(etype: number): EncryptionType | undefined {
  return byEtype.get(etype);
}

/** @returns the etype numbered `etype`; throws `ERR_KRB_UNSUPPORTED` for anything else. */
export function encryptionType(etype: number): EncryptionType {
  const e = byEtype.get(etype);
  if (!e) throw new KerberosError("ERR_KRB_UNSUPPORTED", `unsupported encryption type ${etype}`);
  return e;
}

/** @returns the etype whose keyed checksum is `cksumtype`; throws `ERR_KRB_UNSUPPORTED` otherwise. */
export function encryptionTypeForChecksum(cksumtype: number): EncryptionType {
  const e = byChecksumType.get(cksumtype);
  if (!e) throw new KerberosError("ERR_KRB_UNSUPPORTED", `unsupported checksum type ${cksumtype}`);
  return e;
}
