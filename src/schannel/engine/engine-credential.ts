/**
 * An acquired engine credential: the checked configuration turned into cached
 * `tls.SecureContext`s (one per certificate selection), server-side certificate selection by SNI
 * and key type, and the client's session cache.
 *
 * Acquiring is eager: every certificate and key is read and checked, and the default
 * SecureContext is built, so configuration errors surface as an `AcquireCredentialsHandle` status.
 *
 * @module
 */
import { createHash, constants as cryptoConstants } from "node:crypto";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_INVALID_PARAMETER,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
} from "../../sspi/status.js";
import {
  type CertificateMaterial,
  certificateToPem,
  credentialSummary,
  loadCertificate,
} from "./certificate-material.js";
import type { EngineCredentialConfig, EngineCredentialResult } from "./engine-types.js";

/** Default TLS 1.3 suites (all three AEAD suites). */
export const DEFAULT_CIPHER_SUITES_13 = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
];
/** Default TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 only. */
export const DEFAULT_CIPHERS_12 = [
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
];
/** Default key exchange groups. */
export const DEFAULT_GROUPS = ["X25519", "P-256", "P-384"];

const MAX_CACHED_CONTEXTS = 32;

/** A client session in the cache, with the certificate chain our validation accepted for it. */
export interface CachedSession {
  /** The serialized session (Node's `'session'` event). */
  session: Uint8Array;
  /** The server chain, leaf first, DER: what a resumed handshake checks and reports. */
  peerCertificates: Uint8Array[];
}

/** A credential the engines use. Lives in the engine host only (holds private keys). */
export class EngineCredential {
  private readonly contexts = new Map<string, SecureContext>();
  private readonly sessions = new Map<string, CachedSession>();
  readonly defaultContext: SecureContext;

  private disposed = false;

  /**
   * @param config - kept without its `certificates` (the key material lives in `materials` only).
   */
  private constructor(
    config: EngineCredentialConfig,
    readonly materials: CertificateMaterial[],
    private readonly base: SecureContextOptions,
  ) {
    this.config = { ...config, certificates: [] };
    this.defaultContext = this.contextFor(defaultSelection(materials));
  }

  /** The configuration, without the certificates and keys. */
  readonly config: EngineCredentialConfig;

  /**
   * Checks `config` and builds the credential.
   *
   * @returns `{ status: SEC_E_OK, credential }`, or a failure: `SEC_E_NO_CREDENTIALS` (server
   *   without certificate), `SEC_E_UNKNOWN_CREDENTIALS` (unreadable certificate/key, wrong
   *   passphrase, key not matching its certificate, bad trusted root), `SEC_E_INVALID_PARAMETER`
   *   (bad versions, ticket keys, client with several certificates), `SEC_E_ALGORITHM_MISMATCH`
   *   (OpenSSL rejects the cipher or group lists).
   */
  static acquire(config: EngineCredentialConfig): {
    result: EngineCredentialResult;
    credential?: EngineCredential;
  } {
    const fail = (status: number, reason: string) => ({ result: { status, reason } });
    if (config.role !== "client" && config.role !== "server")
      return fail(SEC_E_INVALID_PARAMETER, "role must be client or server");
    if (versionRank(config.minVersion) < 0 || versionRank(config.maxVersion) < 0)
      return fail(SEC_E_INVALID_PARAMETER, "versions must be TLSv1.2 or TLSv1.3");
    if (versionRank(config.minVersion) > versionRank(config.maxVersion))
      return fail(SEC_E_ALGORITHM_MISMATCH, "minVersion is above maxVersion");
    if (config.role === "server" && config.certificates.length === 0)
      return fail(SEC_E_NO_CREDENTIALS, "a server credential needs at least one certificate");
    if (config.role === "client" && config.certificates.length > 1)
      return fail(SEC_E_INVALID_PARAMETER, "a client credential holds at most one certificate");
    if (config.ticketKeys !== undefined && config.ticketKeys.length !== 48)
      return fail(SEC_E_INVALID_PARAMETER, "ticketKeys must be 48 bytes");
    const materials: CertificateMaterial[] = [];
    for (const [i, source] of config.certificates.entries()) {
      const loaded = loadCertificate(source, i);
      if (!("material" in loaded)) return fail(loaded.status, loaded.reason);
      materials.push(loaded.material);
    }
    let ca: string[] | undefined;
    try {
      ca = config.trustedRoots === null ? undefined : config.trustedRoots.map(certificateToPem);
    } catch (error) {
      return fail(SEC_E_UNKNOWN_CREDENTIALS, `trusted root unreadable: ${(error as Error).message}`);
    }
    const base = baseOptions(config, materials, ca);
    try {
      const credential = new EngineCredential(config, materials, base);
      return {
        result: {
          status: SEC_E_OK,
          summary: credentialSummary(config, materials),
        },
        credential,
      };
    } catch (error) {
      const message = (error as Error).message;
      const status = /cipher|curve|group|ecdh/i.test(message)
        ? SEC_E_ALGORITHM_MISMATCH
        : SEC_E_UNKNOWN_CREDENTIALS;
      return fail(status, `OpenSSL rejected the configuration: ${message}`);
    }
  }

  /**
   * Server: the SecureContext for a requested server name. Certificates whose names match `name`
   * (exact or wildcard) are selected, one per key type so OpenSSL picks by signature algorithm;
   * without a match (or without SNI) the default selection (first certificate of each key type).
   *
   * @returns a cached SecureContext.
   */
  contextForServerName(name: string | null): SecureContext {
    if (name === null || this.disposed) return this.defaultContext;
    const matching = this.materials.filter((m) => m.leaf?.checkHost(name) !== undefined && m.leaf !== null);
    if (matching.length === 0) return this.defaultContext;
    return this.contextFor(defaultSelection(matching));
  }

  /** Client: the cached session for `key`, unless resumption is disabled. */
  cachedSession(key: string): CachedSession | undefined {
    return this.config.disableResumption ? undefined : this.sessions.get(key);
  }

  /**
   * Client: remembers the newest session for `key` with the chain it was validated with (no-op
   * when resumption is disabled). Only sessions whose certificate our own validation accepted
   * belong here; the key names the validation mode and the target.
   */
  storeSession(key: string, session: Uint8Array, peerCertificates: Uint8Array[]): void {
    if (this.config.disableResumption || this.disposed) return;
    const previous = this.sessions.get(key);
    if (previous !== undefined && previous.session !== session) previous.session.fill(0);
    this.sessions.set(key, { session, peerCertificates });
  }

  /** Client: forgets (and zeroes) the session of `key` (after a failed or unvalidated handshake). */
  forgetSession(key: string): void {
    this.sessions.get(key)?.session.fill(0);
    this.sessions.delete(key);
  }

  /**
   * Releases the credential: zeroes and drops the private-key bytes (PEM key, PFX) and the cached
   * sessions, and drops the cached SecureContexts (OpenSSL clears its copy of the key when they
   * are collected). Passphrases are strings: their references are dropped. Contexts still using
   * the credential keep their SecureContext; no new SecureContext can be built afterwards.
   */
  dispose(): void {
    this.disposed = true;
    this.contexts.clear();
    for (const s of this.sessions.values()) s.session.fill(0);
    this.sessions.clear();
    for (const m of this.materials) {
      m.key?.fill(0);
      m.key = null;
      m.pfx?.fill(0);
      m.pfx = null;
      delete m.passphrase;
    }
  }

  private contextFor(selection: CertificateMaterial[]): SecureContext {
    const key = selection.map((m) => this.materials.indexOf(m)).join(",");
    const cached = this.contexts.get(key);
    if (cached !== undefined) return cached;
    const options: SecureContextOptions = { ...this.base };
    const pems = selection.filter((m) => m.pfx === null);
    const pfx = selection.filter((m) => m.pfx !== null);
    if (pems.length > 0) {
      options.cert = pems.map((m) => m.chainPem!);
      // The key was re-encoded unencrypted at load: no passphrase needed.
      options.key = pems.map((m) => m.key!);
    }
    if (pfx.length > 0) options.pfx = pfx.map((m) => ({ buf: m.pfx!, passphrase: m.passphrase }));
    const context = createSecureContext(options);
    if (this.contexts.size >= MAX_CACHED_CONTEXTS) this.contexts.clear();
    this.contexts.set(key, context);
    return context;
  }
}

function versionRank(v: string): number {
  return v === "TLSv1.2" ? 0 : v === "TLSv1.3" ? 1 : -1;
}

/** One certificate per OpenSSL key slot (the first of each type), PFX entries always included. */
function defaultSelection(materials: CertificateMaterial[]): CertificateMaterial[] {
  const seen = new Set<string>();
  const out: CertificateMaterial[] = [];
  for (const m of materials) {
    const slot = m.keyType === "unknown" ? `pfx${out.length}` : m.keyType;
    if (seen.has(slot)) continue;
    seen.add(slot);
    out.push(m);
  }
  return out;
}

function baseOptions(
  config: EngineCredentialConfig,
  materials: CertificateMaterial[],
  ca: string[] | undefined,
): SecureContextOptions {
  const suites13 = config.cipherSuites13 ?? DEFAULT_CIPHER_SUITES_13;
  const ciphers12 = config.ciphers12 ?? DEFAULT_CIPHERS_12;
  const options: SecureContextOptions = {
    minVersion: config.minVersion,
    maxVersion: config.maxVersion,
    ciphers: [...suites13, ...ciphers12].join(":"),
    ecdhCurve: (config.groups ?? DEFAULT_GROUPS).join(":"),
    honorCipherOrder: config.role === "server",
  };
  if (ca !== undefined) options.ca = ca;
  if (config.role === "server") {
    // Deterministic across processes with the same certificates, so shared ticket keys resume.
    const digest = createHash("sha256");
    for (const m of materials) digest.update(m.leaf?.raw ?? m.pfx ?? Buffer.alloc(0));
    options.sessionIdContext = digest.digest("hex").slice(0, 32);
    if (config.sessionLifetimeSeconds !== undefined) options.sessionTimeout = config.sessionLifetimeSeconds;
    if (config.ticketKeys !== undefined) options.ticketKeys = Buffer.from(config.ticketKeys);
    if (config.disableResumption) options.secureOptions = cryptoConstants.SSL_OP_NO_TICKET;
  }
  return options;
}
