/**
 * TLS credential options in TypeScript terms, and their translation into `SCH_CREDENTIALS`.
 *
 * | option | `SCH_CREDENTIALS` |
 * |---|---|
 * | `role: "client"` / `"server"` | `SECPKG_CRED_OUTBOUND` / `SECPKG_CRED_INBOUND` |
 * | `certificates` | `paCred` |
 * | `trustedRoots` | `hRootStore` (absent: Node's default roots) |
 * | `crls` | added to `hRootStore` (CRLs alone keep Node's default roots) |
 * | `revocationCheck: "end-cert"` / `"chain"` / `"chain-exclude-root"` | `SCH_CRED_REVOCATION_CHECK_END_CERT` / `_CHAIN` / `_CHAIN_EXCLUDE_ROOT` |
 * | `ignoreNoRevocationCheck`, `ignoreRevocationOffline` | `SCH_CRED_IGNORE_NO_REVOCATION_CHECK`, `SCH_CRED_IGNORE_REVOCATION_OFFLINE` |
 * | `certificates[].ocspResponse` (server) | `paCred[].ocspResponse`: stapled when a client asks |
 * | `alpn` (server) | `pTlsParameters[0].rgstrAlpnIds`; a client offers it on each context's first call |
 * | `versions` | `pTlsParameters[0].grbitDisabledProtocols` (the versions not listed) |
 * | `manualValidation` | `SCH_CRED_MANUAL_CRED_VALIDATION` |
 * | `noServerNameCheck` | `SCH_CRED_NO_SERVERNAME_CHECK` |
 * | `resumption: false` | `SCH_CRED_DISABLE_RECONNECTS` |
 * | `sessionLifetimeMs` | `dwSessionLifespan` |
 * | `cipherSuites`, `groups`, `keyLog`, `sessionTicketKeys` | the extension fields of the same names |
 *
 * @module
 */
import type { SCH_CREDENTIALS } from "../schannel/sch-credentials.js";
import { SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../sspi/package-constants.js";
import {
  SCH_CRED_DISABLE_RECONNECTS,
  SCH_CRED_IGNORE_NO_REVOCATION_CHECK,
  SCH_CRED_IGNORE_REVOCATION_OFFLINE,
  SCH_CRED_MANUAL_CRED_VALIDATION,
  SCH_CRED_NO_SERVERNAME_CHECK,
  SCH_CRED_REVOCATION_CHECK_CHAIN,
  SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT,
  SCH_CRED_REVOCATION_CHECK_END_CERT,
  SCH_CREDENTIALS_VERSION,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
} from "../sspi/schannel-constants.js";

/** A TLS protocol version this package speaks. */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/**
 * A certificate with its private key: PEM or DER (`certificate` may hold a PEM chain, leaf
 * first), or a PKCS#12 (`pfx`) with its passphrase.
 */
export type TlsCertificate = (
  | { certificate: string | Uint8Array; privateKey: string | Uint8Array; passphrase?: string }
  | { pfx: Uint8Array; passphrase?: string }
) & {
  /** Server: a DER OCSP response about this certificate, stapled when a client asks for one. */
  ocspResponse?: Uint8Array;
};

/** Which certificates of the peer's chain are checked against the CRLs (and a stapled OCSP response). */
export type RevocationCheck = "end-cert" | "chain" | "chain-exclude-root";

/** What {@link acquireTlsCredentials} accepts. Only `role` is required. */
export interface TlsCredentialsOptions {
  /** `"client"` initiates connections, `"server"` accepts them (and needs `certificates`). */
  role: "client" | "server";
  /** Our certificates: a server picks among several by SNI and key type; a client sends the first one asked for. */
  certificates?: TlsCertificate[];
  /** CA certificates (PEM or DER; one, or a list) that validate the peer; absent or null: Node's default roots. */
  trustedRoots?: string | Uint8Array | Array<string | Uint8Array> | null;
  /** CRLs (PEM or DER; one, or a list) for revocation checks. */
  crls?: string | Uint8Array | Array<string | Uint8Array>;
  /**
   * Check the peer's certificates for revocation: against `crls`, and (client) a stapled OCSP
   * response, which is requested and verified. Nothing is fetched from the network. Failures:
   * `CERT_REVOKED`, `UNABLE_TO_GET_CRL` (no CRL, no good staple), `CRL_HAS_EXPIRED`.
   */
  revocationCheck?: RevocationCheck;
  /** With `revocationCheck`: a certificate without revocation data passes. */
  ignoreNoRevocationCheck?: boolean;
  /** With `revocationCheck`: a CRL or stapled response past its next update passes. */
  ignoreRevocationOffline?: boolean;
  /** ALPN ids, preferred first (one id or a list). Server: the ids it accepts. Client: the ids every context offers (unless overridden per context). */
  alpn?: string | string[];
  /** Versions to allow (default both). */
  versions?: TlsVersion[];
  /** Allowed cipher suites (OpenSSL or IANA names), intersected with the supported AEAD suites. */
  cipherSuites?: string[];
  /** Allowed key-exchange groups (`X25519`, `P-256`, `P-384`), in preference order. */
  groups?: string[];
  /** Client: do not validate the server's chain (read the result with `TlsContext.certificateCheck`). */
  manualValidation?: boolean;
  /** Client: validate the chain but not the server name. */
  noServerNameCheck?: boolean;
  /** Receives NSS `SSLKEYLOGFILE` lines for every connection of these credentials. */
  keyLog?: (line: string) => void;
  /** Server: 48 bytes of session-ticket keys (servers sharing them resume each other's sessions). */
  sessionTicketKeys?: Uint8Array;
  /** False disables session resumption (default true). */
  resumption?: boolean;
  /** Session (ticket) lifetime in milliseconds (default 10 hours). */
  sessionLifetimeMs?: number;
}

const VERSION_BITS: Record<TlsVersion, number> = { "TLSv1.2": SP_PROT_TLS1_2, "TLSv1.3": SP_PROT_TLS1_3 };
const REVOCATION_BITS: Record<RevocationCheck, number> = {
  "end-cert": SCH_CRED_REVOCATION_CHECK_END_CERT,
  chain: SCH_CRED_REVOCATION_CHECK_CHAIN,
  "chain-exclude-root": SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT,
};

/**
 * Translates options into `fCredentialUse` and `SCH_CREDENTIALS`. Only the shape is checked
 * here; the Schannel package validates the contents (certificates, names, lengths).
 *
 * @returns `{ credentialUse, authData }`, or `{ error }` naming the bad option (`role` not
 *   client/server, an unknown entry in `versions`).
 */
export function schCredentials(
  options: TlsCredentialsOptions,
): { credentialUse: number; authData: SCH_CREDENTIALS } | { error: string } {
  if (typeof options !== "object" || options === null) return { error: "options must be an object" };
  const { role } = options;
  if (role !== "client" && role !== "server") return { error: 'role must be "client" or "server"' };
  let disabled = 0;
  if (options.versions !== undefined) {
    if (!Array.isArray(options.versions)) return { error: "versions must be an array" };
    for (const v of options.versions) {
      if (!(v in VERSION_BITS)) return { error: `versions: unknown TLS version ${JSON.stringify(v)}` };
    }
    for (const [name, bits] of Object.entries(VERSION_BITS)) {
      if (!options.versions.includes(name as TlsVersion)) disabled |= bits;
    }
  }
  let flags = 0;
  if (options.manualValidation) flags |= SCH_CRED_MANUAL_CRED_VALIDATION;
  if (options.noServerNameCheck) flags |= SCH_CRED_NO_SERVERNAME_CHECK;
  if (options.resumption === false) flags |= SCH_CRED_DISABLE_RECONNECTS;
  if (options.revocationCheck !== undefined) {
    if (!Object.hasOwn(REVOCATION_BITS, options.revocationCheck))
      return { error: `revocationCheck: unknown value ${JSON.stringify(options.revocationCheck)}` };
    flags |= REVOCATION_BITS[options.revocationCheck];
  }
  if (options.ignoreNoRevocationCheck) flags |= SCH_CRED_IGNORE_NO_REVOCATION_CHECK;
  if (options.ignoreRevocationOffline) flags |= SCH_CRED_IGNORE_REVOCATION_OFFLINE;
  const crls = options.crls === undefined ? [] : listOf(options.crls);
  const roots =
    options.trustedRoots === undefined || options.trustedRoots === null ? null : listOf(options.trustedRoots);
  const authData: SCH_CREDENTIALS = {
    dwVersion: SCH_CREDENTIALS_VERSION,
    dwFlags: flags,
    pTlsParameters: [
      {
        grbitDisabledProtocols: disabled,
        ...(role === "server" && options.alpn !== undefined && { rgstrAlpnIds: listOf(options.alpn) }),
      },
    ],
    ...(options.certificates !== undefined && { paCred: options.certificates }),
    ...((options.trustedRoots !== undefined || crls.length > 0) && {
      hRootStore: roots === null && crls.length === 0 ? null : [...(roots ?? []), ...crls],
    }),
    ...(options.sessionLifetimeMs !== undefined && { dwSessionLifespan: options.sessionLifetimeMs }),
    ...(options.cipherSuites !== undefined && { cipherSuites: options.cipherSuites }),
    ...(options.groups !== undefined && { groups: options.groups }),
    ...(options.keyLog !== undefined && { keyLog: options.keyLog }),
    ...(options.sessionTicketKeys !== undefined && { sessionTicketKeys: options.sessionTicketKeys }),
  };
  return { credentialUse: role === "client" ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND, authData };
}

/** A single value as a one-element list. */
function listOf<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
