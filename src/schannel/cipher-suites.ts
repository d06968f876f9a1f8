/**
 * The AEAD cipher suites the direct record layer supports, with everything the record framing and
 * the key schedule need to know about them: names (IANA and OpenSSL), wire id, protocol version,
 * Node cipher name, key and nonce layout, tag length and PRF/HKDF hash.
 *
 * Only AEAD suites exist here: TLS 1.3 has nothing else, and the TLS 1.2 suites are restricted to
 * ECDHE with AES-GCM (RFC 5288/5289) or ChaCha20-Poly1305 (RFC 7905).
 *
 * @module
 */

/** Protocol versions the direct record layer handles, spelled as Node's `getProtocol()` spells them. */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** Node (OpenSSL) AEAD cipher names used with `crypto.createCipheriv`. */
export type AeadCipherName = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/** Hash of the suite: the TLS 1.3 HKDF hash or the TLS 1.2 PRF hash. */
export type SuiteHash = "sha256" | "sha384";

/**
 * How the per-record 12-byte AEAD nonce is built.
 *
 * - `xor-iv`: a 12-byte IV from the key schedule XORed with the 64-bit sequence number (left-padded
 *   with zeros); nothing is carried in the record. TLS 1.3 (RFC 8446 §5.3) and TLS 1.2
 *   ChaCha20-Poly1305 (RFC 7905 §2).
 * - `salt-explicit`: a 4-byte implicit salt from the key block followed by an 8-byte explicit
 *   nonce carried at the start of every record fragment (TLS 1.2 AES-GCM, RFC 5288 §3). We send
 *   the sequence number as the explicit nonce, as OpenSSL does.
 */
export type NonceLayout = "xor-iv" | "salt-explicit";

/** One supported cipher suite. */
export interface CipherSuite {
  /** The two-byte IANA code point (`0x1301`, `0xc02b`, …). */
  readonly id: number;
  /** IANA (RFC) name: `TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`. */
  readonly ianaName: string;
  /** OpenSSL name, as `tlsSocket.getCipher().name` reports it (TLS 1.3 suites use the IANA name). */
  readonly opensslName: string;
  /** The protocol version the suite belongs to. */
  readonly version: TlsVersion;
  /** Node cipher name for `createCipheriv`/`createDecipheriv`. */
  readonly cipher: AeadCipherName;
  /** AEAD key length in bytes (16 or 32). */
  readonly keyLength: number;
  /** Nonce construction, see {@link NonceLayout}. */
  readonly nonceLayout: NonceLayout;
  /** Length of the IV material from the key schedule: 12 for `xor-iv`, 4 (the salt) for `salt-explicit`. */
  readonly fixedIvLength: number;
  /** Bytes of explicit nonce at the start of every record fragment: 8 for TLS 1.2 GCM, otherwise 0. */
  readonly explicitNonceLength: number;
  /** AEAD tag length in bytes (always 16). */
  readonly tagLength: number;
  /** HKDF hash (TLS 1.3) or PRF hash (TLS 1.2). */
  readonly hash: SuiteHash;
  /** Output length of {@link CipherSuite.hash} in bytes. */
  readonly hashLength: number;
  /** TLS 1.2 key exchange / authentication (`ECDHE-ECDSA`, `ECDHE-RSA`), `null` for TLS 1.3 suites. */
  readonly keyExchange: "ECDHE-ECDSA" | "ECDHE-RSA" | null;
}

function tls13(
  id: number,
  name: string,
  cipher: AeadCipherName,
  keyLength: number,
  hash: SuiteHash,
): CipherSuite {
  return Object.freeze({
    id,
    ianaName: name,
    opensslName: name,
    version: "TLSv1.3",
    cipher,
    keyLength,
    nonceLayout: "xor-iv",
    fixedIvLength: 12,
    explicitNonceLength: 0,
    tagLength: 16,
    hash,
    hashLength: hash === "sha256" ? 32 : 48,
    keyExchange: null,
  });
}

function tls12(
  id: number,
  ianaName: string,
  opensslName: string,
  keyExchange: "ECDHE-ECDSA" | "ECDHE-RSA",
  cipher: AeadCipherName,
  keyLength: number,
  hash: SuiteHash,
): CipherSuite {
  const chacha = cipher === "chacha20-poly1305";
  return Object.freeze({
    id,
    ianaName,
    opensslName,
    version: "TLSv1.2",
    cipher,
    keyLength,
    nonceLayout: chacha ? "xor-iv" : "salt-explicit",
    fixedIvLength: chacha ? 12 : 4,
    explicitNonceLength: chacha ? 0 : 8,
    tagLength: 16,
    hash,
    hashLength: hash === "sha256" ? 32 : 48,
    keyExchange,
  });
}

/** TLS_AES_128_GCM_SHA256 (0x1301). */
export const TLS_AES_128_GCM_SHA256 = tls13(0x1301, "TLS_AES_128_GCM_SHA256", "aes-128-gcm", 16, "sha256");
/** TLS_AES_256_GCM_SHA384 (0x1302). */
export const TLS_AES_256_GCM_SHA384 = tls13(0x1302, "TLS_AES_256_GCM_SHA384", "aes-256-gcm", 32, "sha384");
/** TLS_CHACHA20_POLY1305_SHA256 (0x1303). */
export const TLS_CHACHA20_POLY1305_SHA256 = tls13(
  0x1303,
  "TLS_CHACHA20_POLY1305_SHA256",
  "chacha20-poly1305",
  32,
  "sha256",
);
/** TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xc02b), OpenSSL ECDHE-ECDSA-AES128-GCM-SHA256. */
export const TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = tls12(
  0xc02b,
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA",
  "aes-128-gcm",
  16,
  "sha256",
);
/** TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xc02c), OpenSSL ECDHE-ECDSA-AES256-GCM-SHA384. */
export const TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = tls12(
  0xc02c,
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA",
  "aes-256-gcm",
  32,
  "sha384",
);
/** TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f), OpenSSL ECDHE-RSA-AES128-GCM-SHA256. */
export const TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = tls12(
  0xc02f,
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA",
  "aes-128-gcm",
  16,
  "sha256",
);
/** TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (0xc030), OpenSSL ECDHE-RSA-AES256-GCM-SHA384. */
export const TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = tls12(
  0xc030,
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-RSA",
  "aes-256-gcm",
  32,
  "sha384",
);
/** TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (0xcca8), OpenSSL ECDHE-RSA-CHACHA20-POLY1305. */
export const TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = tls12(
  0xcca8,
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-RSA",
  "chacha20-poly1305",
  32,
  "sha256",
);
/** TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xcca9), OpenSSL ECDHE-ECDSA-CHACHA20-POLY1305. */
export const TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = tls12(
  0xcca9,
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA",
  "chacha20-poly1305",
  32,
  "sha256",
);

/** Every supported suite: the three TLS 1.3 suites first, then the six TLS 1.2 suites. */
export const CIPHER_SUITES: readonly CipherSuite[] = Object.freeze([
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
]);

const BY_OPENSSL = new Map(CIPHER_SUITES.map((s) => [s.opensslName, s]));
const BY_IANA = new Map(CIPHER_SUITES.map((s) => [s.ianaName, s]));
const BY_ID = new Map(CIPHER_SUITES.map((s) => [s.id, s]));

/**
 * Finds a suite by its OpenSSL name (`tlsSocket.getCipher().name`).
 *
 * @returns the suite, or `undefined` when the name is not a suite the direct record layer supports.
 */
export function cipherSuiteByOpensslName(name: string): CipherSuite | undefined {
  return BY_OPENSSL.get(name);
}

/**
 * Finds a suite by its IANA name (`tlsSocket.getCipher().standardName`).
 *
 * @returns the suite, or `undefined` when the name is not a suite the direct record layer supports.
 */
export function cipherSuiteByIanaName(name: string): CipherSuite | undefined {
  return BY_IANA.get(name);
}

/**
 * Finds a suite by its two-byte IANA code point.
 *
 * @returns the suite, or `undefined` when the id is not a suite the direct record layer supports.
 */
export function cipherSuiteById(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

/**
 * Finds a suite by any of its names (OpenSSL or IANA), as `getCipher()` returns them.
 *
 * @returns the suite, or `undefined` when neither name is supported.
 */
export function cipherSuiteByName(name: string): CipherSuite | undefined {
  return BY_OPENSSL.get(name) ?? BY_IANA.get(name);
}
