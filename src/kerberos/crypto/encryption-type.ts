/**
 * The one interface every Kerberos encryption type implements (RFC 3961 §3 "profile"), and the
 * numbers that name encryption and checksum types on the wire (IANA "Kerberos Encryption Type
 * Numbers" / "Checksum Type Numbers").
 *
 * @module
 */

/** Encryption type numbers this library knows by name (DES and 3DES are never implemented). */
export const ETYPE = {
  AES128_CTS_HMAC_SHA1_96: 17,
  AES256_CTS_HMAC_SHA1_96: 18,
  AES128_CTS_HMAC_SHA256_128: 19,
  AES256_CTS_HMAC_SHA384_192: 20,
  RC4_HMAC: 23,
} as const;

/** Checksum type numbers of the keyed checksums that go with {@link ETYPE}. */
export const CKSUMTYPE = {
  HMAC_SHA1_96_AES128: 15,
  HMAC_SHA1_96_AES256: 16,
  HMAC_SHA256_128_AES128: 19,
  HMAC_SHA384_192_AES256: 20,
  /** RFC 4757 §4 / MS-KILE: KERB_CHECKSUM_HMAC_MD5. */
  HMAC_MD5: -138,
} as const;

/** A key as Kerberos messages carry it (EncryptionKey: keytype + keyvalue). */
export interface KerberosKey {
  readonly etype: number;
  readonly value: Uint8Array;
}

/** An encryption type: RFC 3961's profile functions over raw key bytes. */
export interface EncryptionType {
  /** The etype number on the wire. */
  readonly etype: number;
  /** The name MIT uses (`aes256-cts-hmac-sha1-96`, `arcfour-hmac`, …). */
  readonly name: string;
  /** Key length in bytes. */
  readonly keyBytes: number;
  /** The checksum type that goes with this etype (RFC 3961 "required checksum mechanism"). */
  readonly checksumType: number;
  /** Length of that checksum in bytes. */
  readonly checksumBytes: number;
  /** Bytes the ciphertext adds to the plaintext (confounder + integrity tag). */
  readonly overhead: number;
  /** Default string-to-key parameters (s2kparams) — e.g. the iteration count as a u32 BE. */
  readonly defaultParams: Uint8Array;

  /** A key from a password and salt; `params` are ETYPE-INFO2's s2kparams (default {@link defaultParams}). */
  stringToKey(password: string, salt: string | Uint8Array, params?: Uint8Array): Uint8Array;
  /** A key from `keyBytes` random bytes. */
  randomToKey(random: Uint8Array): Uint8Array;
  /**
   * Encrypts `plaintext` with `key` for `usage` (RFC 4120 §7.5.1 key usage numbers).
   * `confounder` is random unless given (tests reproduce published vectors with it).
   */
  encrypt(key: Uint8Array, usage: number, plaintext: Uint8Array, confounder?: Uint8Array): Uint8Array;
  /**
   * Decrypts and verifies; throws `ERR_KRB_INTEGRITY` when the tag does not verify and
   * `ERR_KRB_MALFORMED` when the ciphertext is too short.
   */
  decrypt(key: Uint8Array, usage: number, ciphertext: Uint8Array): Uint8Array;
  /** The keyed checksum of `data` for `usage` ({@link checksumType}). */
  checksum(key: Uint8Array, usage: number, data: Uint8Array): Uint8Array;
  /** Constant-time check of a checksum made by {@link checksum}. */
  verifyChecksum(key: Uint8Array, usage: number, data: Uint8Array, checksum: Uint8Array): boolean;
  /** RFC 3961 pseudo-random function (used by FAST and RFC 4402 GSS PRF). */
  prf(key: Uint8Array, input: Uint8Array): Uint8Array;
}
