/**
 * `SCH_CREDENTIALS` in JavaScript, and its translation into the TLS policy the engine runs.
 *
 * ```ts
 * const auth: SCH_CREDENTIALS = {
 *   dwVersion: SCH_CREDENTIALS_VERSION,
 *   dwFlags: SCH_USE_STRONG_CRYPTO,
 *   paCred: [{ certificate: pem, privateKey: keyPem }],   // or [{ pfx, passphrase }]
 *   hRootStore: [caPem],                                  // null: Node's default roots
 *   pTlsParameters: [{ rgstrAlpnIds: ["h2", "http/1.1"], grbitDisabledProtocols: SP_PROT_TLS1_2 }],
 * };
 * ```
 *
 * ## Mapping of Schannel fields and flags
 * | Schannel | here |
 * |---|---|
 * | `dwVersion` | `SCH_CREDENTIALS_VERSION` (5), or `SCHANNEL_CRED_VERSION` (4) with `grbitEnabledProtocols` |
 * | `dwCredFormat` | only `SCH_CRED_FORMAT_CERT_CONTEXT` (0): certificates are given inline |
 * | `paCred` / `cCreds` | `{ certificate, privateKey, passphrase? }` (PEM or DER; `certificate` may hold a chain) or `{ pfx, passphrase? }`; a server selects among several by SNI and key type |
 * | `hRootStore` | trusted CA certificates (PEM/DER) for validating the peer, and CRLs (PEM `X509 CRL` blocks or DER) for revocation checks; null (or CRLs only) = Node's default roots |
 * | `dwSessionLifespan` | session/ticket lifetime in ms (0 = 10 hours) |
 * | `pTlsParameters[].rgstrAlpnIds` | server: the ALPN ids it accepts, preferred first |
 * | `pTlsParameters[].grbitDisabledProtocols` | `SP_PROT_TLS1_2_*` / `SP_PROT_TLS1_3_*` bits remove that version; older versions are never offered |
 * | `pTlsParameters[].pDisabledCrypto` | `CRYPTO_SETTINGS`: Cipher `AES` (with `dwMinBitLength`/`dwMaxBitLength`, chaining mode `ChainingModeGCM`) and `CHACHA20_POLY1305`; KeyExchange `ECDH_P256`, `ECDH_P384`, `CURVE25519`, `ECDH` (by bit length); Digest `SHA256`/`SHA384` (suites using that hash); other usages are ignored |
 * | `SCH_CRED_MANUAL_CRED_VALIDATION` | client: the server chain is not validated; the result is readable in `SECPKG_ATTR_CERT_CHECK_RESULT` |
 * | `SCH_CRED_DEFERRED_CRED_VALIDATION` | same as manual validation (the check result is recorded) |
 * | `SCH_CRED_NO_SERVERNAME_CHECK` | client: the chain is validated but not the name |
 * | `SCH_CRED_DISABLE_RECONNECTS` | no session resumption (no tickets issued or used) |
 * | `SCH_CRED_REVOCATION_CHECK_END_CERT` / `_CHAIN` / `_CHAIN_EXCLUDE_ROOT` | the peer's leaf / every certificate / every certificate but the trust anchor is checked against the CRLs in `hRootStore`; a client also requests a stapled OCSP response and verifies it (a good one stands in for the leaf's CRL). Revoked: `CRYPT_E_REVOKED`; no CRL: `CRYPT_E_NO_REVOCATION_CHECK`; CRL or response past its next update: `CRYPT_E_REVOCATION_OFFLINE`. Nothing is fetched from the network (`revocation.ts`) |
 * | `SCH_CRED_IGNORE_NO_REVOCATION_CHECK`, `SCH_CRED_IGNORE_REVOCATION_OFFLINE` | those two failures are not failures |
 * | `SCH_CRED_NO_DEFAULT_CREDS`, `SCH_CRED_USE_DEFAULT_CREDS`, `SCH_CRED_AUTO_CRED_VALIDATION`, `SCH_USE_STRONG_CRYPTO`, `SCH_CRED_NO_SYSTEM_MAPPER`, `SCH_SEND_ROOT_CERT`, `SCH_SEND_AUX_RECORD`, `SCH_CRED_SNI_CREDENTIAL`, `SCH_CRED_SNI_ENABLE_OCSP`, `SCH_CRED_MEMORY_STORE_CERT`, `SCH_CRED_RESTRICTED_ROOTS`, `SCH_CRED_REVOCATION_CHECK_CACHE_ONLY` and the URL-retrieval flags | accepted and ignored: no client certificate is ever picked automatically, only strong AEAD suites exist, and nothing is ever retrieved from a URL |
 * | `SCH_USE_DTLS_ONLY`, `SCH_USE_PRESHAREDKEY_ONLY`, `SCH_ALLOW_NULL_ENCRYPTION` | refused with `SEC_E_UNSUPPORTED_FUNCTION` |
 *
 * Extensions (not in Schannel): `paCred[].ocspResponse` (server: a DER OCSP response stapled
 * with that certificate when a client asks), `cipherSuites` (OpenSSL or IANA suite names), `groups`
 * (`X25519`, `P-256`, `P-384`), `sessionTicketKeys` (48 bytes, shared by servers that should
 * resume each other's tickets), `keyLog` (a function receiving NSS key-log lines).
 *
 * @module
 */
import { copyBytes } from "../sspi/bytes.js";
import { SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../sspi/package-constants.js";
import {
  SCH_ALLOW_NULL_ENCRYPTION,
  SCH_CRED_DEFERRED_CRED_VALIDATION,
  SCH_CRED_DISABLE_RECONNECTS,
  SCH_CRED_FORMAT_CERT_CONTEXT,
  SCH_CRED_MANUAL_CRED_VALIDATION,
  SCH_CRED_NO_SERVERNAME_CHECK,
  SCH_CREDENTIALS_VERSION,
  SCH_USE_DTLS_ONLY,
  SCH_USE_PRESHAREDKEY_ONLY,
  SCHANNEL_CRED_VERSION,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  TlsParametersCngAlgUsageCipher,
  TlsParametersCngAlgUsageDigest,
  TlsParametersCngAlgUsageKeyExchange,
} from "../sspi/schannel-constants.js";
import type { Outcome } from "../sspi/security-package.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_INVALID_PARAMETER,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
  SEC_E_UNSUPPORTED_FUNCTION,
} from "../sspi/status.js";
import { CIPHER_SUITES, type CipherSuite } from "./cipher-suites.js";
import { type RevocationPolicy, revocationPolicy } from "./revocation.js";
import { readRootStore } from "./root-store.js";

/**
 * A certificate with its private key.
 *
 * Key material and your own copies: AcquireCredentialsHandle copies what it needs and never
 * modifies or zeroes the objects you pass. The library's copies are bytes it zeroes itself: the
 * copy on the calling thread right after AcquireCredentialsHandle has handed it to the security
 * service, the security service's copies when the credential is released (FreeCredentialsHandle,
 * or the deletion of its last context when contexts outlive it). Your own `privateKey`/`pfx`
 * `Uint8Array`s are yours to zero once AcquireCredentialsHandle returned. A key given as a
 * `string` (PEM) cannot be zeroed by anyone in JavaScript: it stays in memory until the garbage
 * collector reuses it, so pass the key as bytes (PEM text or PKCS#8 DER in a `Uint8Array`) and
 * zero them when that matters. OpenSSL's parsed copy of the key lives in native memory and is
 * cleared by OpenSSL when its SecureContext is collected after the release.
 */
export type SchannelCertificate = (
  | { certificate: string | Uint8Array; privateKey: string | Uint8Array; passphrase?: string }
  | { pfx: Uint8Array; passphrase?: string }
) & {
  /** Extension, server: a DER OCSP response about this certificate, stapled when a client asks. */
  ocspResponse?: Uint8Array;
};

/** `CRYPTO_SETTINGS`. */
export interface CRYPTO_SETTINGS {
  eAlgorithmUsage: number;
  strCngAlgId: string;
  rgstrChainingModes?: string[];
  dwMinBitLength?: number;
  dwMaxBitLength?: number;
}

/** `TLS_PARAMETERS`. */
export interface TLS_PARAMETERS {
  rgstrAlpnIds?: string[];
  grbitDisabledProtocols?: number;
  pDisabledCrypto?: CRYPTO_SETTINGS[];
  dwFlags?: number;
}

/** `SCH_CREDENTIALS` (or the legacy `SCHANNEL_CRED` when `dwVersion` is 4). */
export interface SCH_CREDENTIALS {
  dwVersion: number;
  dwCredFormat?: number;
  paCred?: SchannelCertificate[];
  hRootStore?: Array<string | Uint8Array> | null;
  dwSessionLifespan?: number;
  dwFlags?: number;
  pTlsParameters?: TLS_PARAMETERS[];
  /** `SCHANNEL_CRED` only: `SP_PROT_*` bits to enable (0 = defaults). */
  grbitEnabledProtocols?: number;
  /** Extension: allowed suites (OpenSSL or IANA names), intersected with the supported AEAD suites. */
  cipherSuites?: string[];
  /** Extension: allowed key-exchange groups (`X25519`, `P-256`, `P-384`), in preference order. */
  groups?: string[];
  /** Extension: 48 bytes of session-ticket keys (servers sharing them resume each other's tickets). */
  sessionTicketKeys?: Uint8Array;
  /** Extension: receives NSS `SSLKEYLOGFILE` lines for every context of this credential. */
  keyLog?: (line: string) => void;
}

/** How `pDisabledCrypto` sees a suite: its CNG cipher name, key bits and hash. */
function cngView(suite: CipherSuite) {
  return {
    suite,
    cipher: suite.cipher === "chacha20-poly1305" ? "CHACHA20_POLY1305" : "AES",
    bits: suite.keyLength * 8,
    hash: suite.hash.toUpperCase(),
  };
}

/** OpenSSL 3.5 and later implement the hybrid post-quantum group X25519MLKEM768 (codepoint 0x11ec). */
function hasHybridGroup(openssl: string): boolean {
  const [major = 0, minor = 0] = openssl.split(".").map(Number);
  return major > 3 || (major === 3 && minor >= 5);
}

/**
 * The groups this package supports, in default preference order, with their CNG names. On OpenSSL
 * 3.5 and later X25519MLKEM768 comes first, as in Node's own defaults and browsers; it contains an
 * X25519 exchange, so disabling `CURVE25519` (or ECDH at 255 bits) removes it too.
 */
export const SUPPORTED_GROUPS: ReadonlyArray<{ name: string; cng: string; bits: number }> = [
  ...(hasHybridGroup(process.versions.openssl ?? "")
    ? [{ name: "X25519MLKEM768", cng: "CURVE25519", bits: 255 }]
    : []),
  { name: "X25519", cng: "CURVE25519", bits: 255 },
  { name: "P-256", cng: "ECDH_P256", bits: 256 },
  { name: "P-384", cng: "ECDH_P384", bits: 384 },
];

/** The TLS policy a credential runs: plain data, ready for the engine. */
export interface CredentialPolicy {
  role: "client" | "server";
  certificates: SchannelCertificate[];
  trustedRoots: Array<string | Uint8Array> | null;
  /** CRLs from `hRootStore` (PEM or DER), used when {@link revocation} asks for a check. */
  crls: Uint8Array[];
  revocation: RevocationPolicy;
  minVersion: "TLSv1.2" | "TLSv1.3";
  maxVersion: "TLSv1.2" | "TLSv1.3";
  cipherSuites13: string[];
  ciphers12: string[];
  groups: string[];
  alpn: string[] | null;
  manualValidation: boolean;
  noServerNameCheck: boolean;
  disableResumption: boolean;
  sessionLifetimeSeconds: number;
  ticketKeys: Uint8Array | null;
  keyLog: ((line: string) => void) | null;
}

type PolicyResult = Outcome & { policy?: CredentialPolicy };

const fail = (status: number, reason: string): PolicyResult => ({ status, reason });

function isBytesOrString(v: unknown): v is string | Uint8Array {
  return typeof v === "string" || v instanceof Uint8Array;
}

function copyMaterial<T extends string | Uint8Array>(v: T): T {
  return (typeof v === "string" ? v : copyBytes(v as Uint8Array)) as T;
}

/** A private key as bytes the library owns (a PEM string becomes its UTF-8 text), so it can be zeroed. */
function copyKey(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? new TextEncoder().encode(v) : copyBytes(v);
}

/**
 * Zeroes the private-key bytes (`privateKey`, `pfx`) of `certificates`, which the library owns.
 * Passphrases and PEM strings cannot be zeroed; the caller drops its references to them.
 */
export function zeroKeyMaterial(certificates: readonly SchannelCertificate[]): void {
  for (const c of certificates) {
    if ("pfx" in c) c.pfx.fill(0);
    else if (c.privateKey instanceof Uint8Array) c.privateKey.fill(0);
  }
}

/**
 * Validates an `SCH_CREDENTIALS` (or `SCHANNEL_CRED`) and translates it into a
 * {@link CredentialPolicy}, copying everything (the caller may reuse its objects).
 *
 * @returns `SEC_E_OK` with the policy; `SEC_E_INVALID_PARAMETER` for malformed fields (with a
 *   reason naming the field); `SEC_E_UNSUPPORTED_FUNCTION` for unsupported formats and flags;
 *   `SEC_E_NO_CREDENTIALS` for a server without a certificate; `SEC_E_ALGORITHM_MISMATCH` when
 *   the restrictions leave no protocol version, suite or group; `SEC_E_UNKNOWN_CREDENTIALS` for a
 *   certificate entry that is neither key pair nor PFX.
 */
export function credentialPolicy(authData: unknown, credentialUse: number): PolicyResult {
  const role =
    credentialUse & SECPKG_CRED_INBOUND ? "server" : credentialUse & SECPKG_CRED_OUTBOUND ? "client" : null;
  if (role === null)
    return fail(
      SEC_E_UNSUPPORTED_FUNCTION,
      "fCredentialUse must include SECPKG_CRED_INBOUND or SECPKG_CRED_OUTBOUND",
    );
  if ((credentialUse & 3) === 3)
    return fail(SEC_E_UNSUPPORTED_FUNCTION, "Schannel credentials are either inbound or outbound, not both");
  const auth = (authData ?? { dwVersion: SCH_CREDENTIALS_VERSION }) as Partial<SCH_CREDENTIALS>;
  if (typeof auth !== "object")
    return fail(SEC_E_INVALID_PARAMETER, "pAuthData must be an SCH_CREDENTIALS object or null");
  if (auth.dwVersion !== SCH_CREDENTIALS_VERSION && auth.dwVersion !== SCHANNEL_CRED_VERSION) {
    return fail(
      SEC_E_INVALID_PARAMETER,
      "pAuthData.dwVersion must be SCH_CREDENTIALS_VERSION (5) or SCHANNEL_CRED_VERSION (4)",
    );
  }
  if ((auth.dwCredFormat ?? SCH_CRED_FORMAT_CERT_CONTEXT) !== SCH_CRED_FORMAT_CERT_CONTEXT) {
    return fail(
      SEC_E_UNSUPPORTED_FUNCTION,
      "only SCH_CRED_FORMAT_CERT_CONTEXT: give certificates inline in paCred",
    );
  }
  const flags = (auth.dwFlags ?? 0) >>> 0;
  for (const [bit, name] of [
    [SCH_USE_DTLS_ONLY, "SCH_USE_DTLS_ONLY"],
    [SCH_USE_PRESHAREDKEY_ONLY, "SCH_USE_PRESHAREDKEY_ONLY"],
    [SCH_ALLOW_NULL_ENCRYPTION, "SCH_ALLOW_NULL_ENCRYPTION"],
  ] as const) {
    if (flags & bit) return fail(SEC_E_UNSUPPORTED_FUNCTION, `${name} is not supported`);
  }

  const certificates: SchannelCertificate[] = [];
  if (auth.paCred !== undefined && auth.paCred !== null) {
    if (!Array.isArray(auth.paCred)) return fail(SEC_E_INVALID_PARAMETER, "paCred must be an array");
    for (const [i, c] of auth.paCred.entries()) {
      if (typeof c !== "object" || c === null)
        return fail(SEC_E_UNKNOWN_CREDENTIALS, `paCred[${i}] is not an object`);
      const passphrase = (c as { passphrase?: unknown }).passphrase;
      if (passphrase !== undefined && typeof passphrase !== "string")
        return fail(SEC_E_INVALID_PARAMETER, `paCred[${i}].passphrase must be a string`);
      const ocspResponse = (c as { ocspResponse?: unknown }).ocspResponse;
      if (ocspResponse !== undefined && !(ocspResponse instanceof Uint8Array))
        return fail(SEC_E_INVALID_PARAMETER, `paCred[${i}].ocspResponse must be a Uint8Array`);
      const staple = ocspResponse !== undefined &&
        role === "server" && { ocspResponse: copyBytes(ocspResponse) };
      if ("pfx" in c) {
        if (!(c.pfx instanceof Uint8Array))
          return fail(SEC_E_UNKNOWN_CREDENTIALS, `paCred[${i}].pfx must be a Uint8Array`);
        certificates.push({
          pfx: copyBytes(c.pfx),
          ...(passphrase !== undefined && { passphrase }),
          ...staple,
        });
      } else if ("certificate" in c && isBytesOrString(c.certificate) && isBytesOrString(c.privateKey)) {
        certificates.push({
          certificate: copyMaterial(c.certificate),
          privateKey: copyKey(c.privateKey),
          ...(passphrase !== undefined && { passphrase }),
          ...staple,
        });
      } else {
        return fail(SEC_E_UNKNOWN_CREDENTIALS, `paCred[${i}] needs { certificate, privateKey } or { pfx }`);
      }
    }
  }
  if (role === "server" && certificates.length === 0) {
    return fail(SEC_E_NO_CREDENTIALS, "a server credential needs a certificate and private key in paCred");
  }

  let trustedRoots: Array<string | Uint8Array> | null = null;
  let crls: Uint8Array[] = [];
  if (auth.hRootStore !== undefined && auth.hRootStore !== null) {
    if (!Array.isArray(auth.hRootStore) || !auth.hRootStore.every(isBytesOrString)) {
      return fail(
        SEC_E_INVALID_PARAMETER,
        "hRootStore must be an array of PEM strings or DER bytes, or null",
      );
    }
    const contents = readRootStore(auth.hRootStore);
    if ("error" in contents) return fail(SEC_E_INVALID_PARAMETER, contents.error);
    crls = contents.crls;
    // A store holding only CRLs adds revocation data to the default roots.
    trustedRoots =
      contents.certificates.length === 0 && crls.length > 0 ? null : contents.certificates.map(copyMaterial);
  }

  let tls12 = true;
  let tls13 = true;
  if (auth.dwVersion === SCHANNEL_CRED_VERSION && (auth.grbitEnabledProtocols ?? 0) !== 0) {
    const enabled = auth.grbitEnabledProtocols! >>> 0;
    tls12 = (enabled & SP_PROT_TLS1_2) !== 0;
    tls13 = (enabled & SP_PROT_TLS1_3) !== 0;
  }
  let suites = CIPHER_SUITES.map(cngView);
  let groups = [...SUPPORTED_GROUPS];
  let alpn: string[] | null = null;
  const parameters = auth.pTlsParameters ?? [];
  if (!Array.isArray(parameters) || parameters.length > 16) {
    return fail(SEC_E_INVALID_PARAMETER, "pTlsParameters must be an array of at most 16 TLS_PARAMETERS");
  }
  for (const [i, p] of parameters.entries()) {
    if (typeof p !== "object" || p === null)
      return fail(SEC_E_INVALID_PARAMETER, `pTlsParameters[${i}] is not an object`);
    const disabled = (p.grbitDisabledProtocols ?? 0) >>> 0;
    if (disabled & SP_PROT_TLS1_2) tls12 = false;
    if (disabled & SP_PROT_TLS1_3) tls13 = false;
    if (p.rgstrAlpnIds !== undefined) {
      if (
        !Array.isArray(p.rgstrAlpnIds) ||
        !p.rgstrAlpnIds.every((s) => typeof s === "string" && s.length > 0 && s.length < 256)
      ) {
        return fail(SEC_E_INVALID_PARAMETER, `pTlsParameters[${i}].rgstrAlpnIds must be non-empty strings`);
      }
      alpn = [...(alpn ?? []), ...p.rgstrAlpnIds];
    }
    for (const [j, c] of (p.pDisabledCrypto ?? []).entries()) {
      if (typeof c !== "object" || c === null || typeof c.strCngAlgId !== "string") {
        return fail(SEC_E_INVALID_PARAMETER, `pTlsParameters[${i}].pDisabledCrypto[${j}] needs strCngAlgId`);
      }
      const inRange = (bits: number) =>
        bits >= (c.dwMinBitLength ?? 0) && bits <= (c.dwMaxBitLength || Number.MAX_SAFE_INTEGER);
      const id = c.strCngAlgId.toUpperCase();
      if (c.eAlgorithmUsage === TlsParametersCngAlgUsageCipher) {
        const gcmOnly =
          c.rgstrChainingModes === undefined ||
          c.rgstrChainingModes.length === 0 ||
          c.rgstrChainingModes.includes("ChainingModeGCM");
        suites = suites.filter((s) => !(s.cipher === id && inRange(s.bits) && (id !== "AES" || gcmOnly)));
      } else if (c.eAlgorithmUsage === TlsParametersCngAlgUsageDigest) {
        suites = suites.filter((s) => s.hash !== id);
      } else if (c.eAlgorithmUsage === TlsParametersCngAlgUsageKeyExchange) {
        groups = groups.filter((g) => !(g.cng === id || (id === "ECDH" && inRange(g.bits))));
      }
    }
  }
  if (Array.isArray(auth.cipherSuites)) {
    const wanted = new Set(auth.cipherSuites.map((s) => String(s).toUpperCase()));
    suites = suites.filter(
      ({ suite }) => wanted.has(suite.opensslName.toUpperCase()) || wanted.has(suite.ianaName.toUpperCase()),
    );
  }
  if (Array.isArray(auth.groups)) {
    const order = auth.groups.map((g) =>
      String(g).toUpperCase().replace("SECP256R1", "P-256").replace("SECP384R1", "P-384"),
    );
    groups = order.flatMap((name) => groups.filter((g) => g.name.toUpperCase() === name));
  }
  const suites13 = tls13 ? suites.filter(({ suite }) => suite.version === "TLSv1.3") : [];
  const suites12 = tls12 ? suites.filter(({ suite }) => suite.version === "TLSv1.2") : [];
  if (suites13.length === 0) tls13 = false;
  if (suites12.length === 0) tls12 = false;
  if (!tls12 && !tls13)
    return fail(SEC_E_ALGORITHM_MISMATCH, "the restrictions leave no protocol version with a cipher suite");
  if (groups.length === 0)
    return fail(SEC_E_ALGORITHM_MISMATCH, "the restrictions leave no key-exchange group");

  if (
    auth.sessionTicketKeys !== undefined &&
    (!(auth.sessionTicketKeys instanceof Uint8Array) || auth.sessionTicketKeys.byteLength !== 48)
  ) {
    return fail(SEC_E_INVALID_PARAMETER, "sessionTicketKeys must be 48 bytes");
  }
  if (auth.keyLog !== undefined && typeof auth.keyLog !== "function")
    return fail(SEC_E_INVALID_PARAMETER, "keyLog must be a function");
  const lifespan = auth.dwSessionLifespan ?? 0;
  if (typeof lifespan !== "number" || lifespan < 0)
    return fail(SEC_E_INVALID_PARAMETER, "dwSessionLifespan must be a number of milliseconds");

  return {
    status: SEC_E_OK,
    policy: {
      role,
      certificates,
      trustedRoots,
      crls,
      revocation: revocationPolicy(flags),
      minVersion: tls12 ? "TLSv1.2" : "TLSv1.3",
      maxVersion: tls13 ? "TLSv1.3" : "TLSv1.2",
      cipherSuites13: suites13.map(({ suite }) => suite.opensslName),
      ciphers12: suites12.map(({ suite }) => suite.opensslName),
      groups: groups.map((g) => g.name),
      alpn,
      manualValidation: (flags & (SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_DEFERRED_CRED_VALIDATION)) !== 0,
      noServerNameCheck: (flags & SCH_CRED_NO_SERVERNAME_CHECK) !== 0,
      disableResumption: (flags & SCH_CRED_DISABLE_RECONNECTS) !== 0,
      sessionLifetimeSeconds: Math.max(1, Math.round((lifespan || 36_000_000) / 1000)),
      ticketKeys: auth.sessionTicketKeys ? copyBytes(auth.sessionTicketKeys) : null,
      keyLog: auth.keyLog ?? null,
    },
  };
}
