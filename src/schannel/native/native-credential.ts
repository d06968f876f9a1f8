/**
 * A credential of the native engine: the checked configuration turned into one OpenSSL SSL_CTX,
 * and the client's session cache.
 *
 * Session cache rules (policy, so here and not in C++): a session is cached only after a
 * handshake whose certificate was validated by the engine (never with manual validation), under
 * the target name *and* the validation mode, and a resumed session's certificate is checked
 * against the name again (`native-engine.ts`).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { rootCertificates } from "node:tls";
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
} from "../engine/certificate-material.js";
import type { EngineCredentialConfig, EngineCredentialResult } from "../engine/engine-types.js";
import type {
  NativeAddon,
  NativeCertificate,
  NativeCredential,
  NativeCredentialOptions,
  NativeSession,
  NativeTicketKey,
} from "./addon-types.js";
import { revocationOptions } from "./revocation-options.js";

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
/**
 * The OpenSSL group list. A client sends a key share for the first group only, so when a hybrid
 * ML-KEM group leads, the first classical group gets one too (OpenSSL 3.5's `*` marks, as Node's
 * default list does): a server without ML-KEM then needs no HelloRetryRequest.
 */
export function groupList(groups: readonly string[]): string {
  const classical = groups.findIndex((g) => !g.includes("MLKEM"));
  if (!groups[0]?.includes("MLKEM") || classical < 0) return groups.join(":");
  return groups.map((g, i) => (i === 0 || i === classical ? `*${g}` : g)).join(":");
}
/** How a client context validates the server: part of the session cache key. */
export type ValidationMode = "full" | "no-name-check";

/** Node's bundled roots as one PEM buffer (what `null` trusted roots mean), built once. */
let bundledRoots: Uint8Array | null = null;
function nodeRoots(): Uint8Array {
  bundledRoots ??= Buffer.from(rootCertificates.join("\n"));
  return bundledRoots;
}

const VERSIONS: Readonly<Record<string, number>> = { "TLSv1.2": 0x0303, "TLSv1.3": 0x0304 };

/** @returns the wire format of an ALPN list, or undefined for none. */
export function alpnWire(protocols: string[] | undefined): Uint8Array | undefined {
  if (protocols === undefined || protocols.length === 0) return undefined;
  const parts = protocols.map((p) => Buffer.from(p, "utf8"));
  return Buffer.concat(parts.flatMap((p) => [Buffer.of(p.length), p]));
}

/** Node's 48-byte `ticketKeys` layout: name (16), HMAC key (16), AES-128 key (16). */
export function ticketKeyFrom48(bytes: Uint8Array): NativeTicketKey {
  return { name: bytes.slice(0, 16), hmac: bytes.slice(16, 32), aes: bytes.slice(32, 48) };
}

/** An acquired native credential. Lives in the engine host. */
export class NativeEngineCredential {
  private readonly sessions = new Map<string, NativeSession>();

  private constructor(
    readonly config: EngineCredentialConfig,
    readonly native: NativeCredential,
    /** Server: the credentials chosen by SNI (each also referenced by `native`). */
    private readonly alternatives: NativeCredential[],
    /** SHA-256 of the trusted roots: exported sessions resume only under the same roots. */
    readonly trustId: Uint8Array,
  ) {}

  /**
   * Checks `config` and builds the SSL_CTX.
   *
   * @returns `{ status: SEC_E_OK, credential }`, or the same failures as the first engine's
   *   `EngineCredential.acquire`: `SEC_E_NO_CREDENTIALS`, `SEC_E_UNKNOWN_CREDENTIALS`,
   *   `SEC_E_INVALID_PARAMETER`, `SEC_E_ALGORITHM_MISMATCH`.
   */
  static acquire(
    addon: NativeAddon,
    config: EngineCredentialConfig,
  ): { result: EngineCredentialResult; credential?: NativeEngineCredential } {
    const fail = (status: number, reason: string) => ({ result: { status, reason } });
    if (config.role !== "client" && config.role !== "server")
      return fail(SEC_E_INVALID_PARAMETER, "role must be client or server");
    const min = VERSIONS[config.minVersion];
    const max = VERSIONS[config.maxVersion];
    if (min === undefined || max === undefined)
      return fail(SEC_E_INVALID_PARAMETER, "versions must be TLSv1.2 or TLSv1.3");
    if (min > max) return fail(SEC_E_ALGORITHM_MISMATCH, "minVersion is above maxVersion");
    if (config.role === "server" && config.certificates.length === 0)
      return fail(SEC_E_NO_CREDENTIALS, "a server credential needs at least one certificate");
    if (config.role === "client" && config.certificates.length > 1)
      return fail(SEC_E_INVALID_PARAMETER, "a client credential holds at most one certificate");
    if (config.ticketKeys !== undefined && config.ticketKeys.length !== 48)
      return fail(SEC_E_INVALID_PARAMETER, "ticketKeys must be 48 bytes");
    const materials: CertificateMaterial[] = [];
    const staples = new Map<CertificateMaterial, Uint8Array>();
    for (const [i, source] of config.certificates.entries()) {
      const loaded = loadCertificate(source, i);
      if (!("material" in loaded)) return fail(loaded.status, loaded.reason);
      materials.push(loaded.material);
      if (source.ocspResponse !== undefined) staples.set(loaded.material, source.ocspResponse);
    }
    let roots: Uint8Array[];
    try {
      roots =
        config.trustedRoots === null
          ? [nodeRoots()]
          : config.trustedRoots.map((r) => Buffer.from(certificateToPem(r)));
    } catch (error) {
      return fail(SEC_E_UNKNOWN_CREDENTIALS, `trusted root unreadable: ${(error as Error).message}`);
    }
    let native: NativeCredential;
    const alternatives: NativeCredential[] = [];
    try {
      const selection = defaultSelection(materials);
      for (const m of materials) {
        if (selection.includes(m) || m.leaf === null) continue;
        // `m` with one certificate of every other key type — one of the same name first (so the
        // client's algorithms choose among the certificates of the name it asked for), else the
        // default one; `m` is loaded last, so it is the certificate the SNI is matched against.
        const sameName = materials.filter(
          (x) => x !== m && x.keyType !== m.keyType && x.names.some((n) => m.names.includes(n)),
        );
        const others = defaultSelection([...sameName, ...selection]).filter((x) => x.keyType !== m.keyType);
        alternatives.push(
          new addon.Credential(nativeOptions(config, [...others, m], materials, staples, roots, min, max)),
        );
      }
      const options = nativeOptions(config, selection, materials, staples, roots, min, max);
      if (alternatives.length > 0) options.alternatives = alternatives;
      native = new addon.Credential(options);
    } catch (error) {
      zeroKeys(materials);
      for (const a of alternatives) a.free();
      const message = (error as Error).message;
      const status = /cipher|curve|group/i.test(message)
        ? SEC_E_ALGORITHM_MISMATCH
        : SEC_E_UNKNOWN_CREDENTIALS;
      return fail(status, `OpenSSL rejected the configuration: ${message}`);
    }
    const summary = credentialSummary(config, materials);
    // OpenSSL holds the keys now: the copies this side made are zeroed.
    zeroKeys(materials);
    return {
      result: { status: SEC_E_OK, summary },
      credential: new NativeEngineCredential(config, native, alternatives, trustIdOf(roots)),
    };
  }

  /** Client: the cached session for a target and validation mode, unless resumption is disabled. */
  cachedSession(target: string, mode: ValidationMode): NativeSession | undefined {
    if (this.config.disableResumption) return undefined;
    return this.sessions.get(cacheKey(target, mode));
  }

  /** Client: keeps the newest validated session of a target (the previous one is freed). */
  storeSession(target: string, mode: ValidationMode, session: NativeSession): void {
    if (this.config.disableResumption || !session.isResumable()) {
      session.free();
      return;
    }
    const key = cacheKey(target, mode);
    const previous = this.sessions.get(key);
    if (previous !== undefined && previous !== session) previous.free();
    this.sessions.set(key, session);
  }

  /** Client: forgets a target's session (after a failed or rejected resumption). */
  forgetSession(target: string, mode: ValidationMode): void {
    const key = cacheKey(target, mode);
    this.sessions.get(key)?.free();
    this.sessions.delete(key);
  }

  /** Frees the sessions and the SSL_CTX (contexts created from it keep their own reference). */
  dispose(): void {
    for (const s of this.sessions.values()) s.free();
    this.sessions.clear();
    this.native.free();
    for (const a of this.alternatives) a.free();
  }
}

/** Zeroes the private-key bytes (PEM or PKCS#12) of `materials`. */
function zeroKeys(materials: readonly CertificateMaterial[]): void {
  for (const m of materials) {
    m.key?.fill(0);
    m.pfx?.fill(0);
  }
}

/** SHA-256 over the trusted roots as given to OpenSSL (each length-prefixed). */
function trustIdOf(roots: Uint8Array[]): Uint8Array {
  const digest = createHash("sha256");
  for (const root of roots) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(root.byteLength);
    digest.update(length).update(root);
  }
  return digest.digest();
}

function cacheKey(target: string, mode: ValidationMode): string {
  return `${mode}\u0000${target}`;
}

/** One certificate per OpenSSL key slot (the first of each type), PFX entries always included. */
function defaultSelection(materials: CertificateMaterial[]): CertificateMaterial[] {
  const seen = new Set<string>();
  return materials.filter((m, i) => {
    const slot = m.keyType === "unknown" ? `pfx${i}` : m.keyType;
    if (seen.has(slot)) return false;
    seen.add(slot);
    return true;
  });
}

function nativeCertificate(m: CertificateMaterial, staple: Uint8Array | undefined): NativeCertificate {
  const certificate: NativeCertificate =
    m.pfx !== null
      ? m.passphrase === undefined
        ? { pfx: m.pfx }
        : { pfx: m.pfx, passphrase: m.passphrase }
      : { chain: Buffer.from(m.chainPem ?? ""), key: Buffer.from(m.key ?? "") };
  if (staple !== undefined) certificate.ocspResponse = staple;
  return certificate;
}

function nativeOptions(
  config: EngineCredentialConfig,
  selection: CertificateMaterial[],
  all: CertificateMaterial[],
  staples: ReadonlyMap<CertificateMaterial, Uint8Array>,
  roots: Uint8Array[],
  minVersion: number,
  maxVersion: number,
): NativeCredentialOptions {
  const server = config.role === "server";
  const options: NativeCredentialOptions = {
    role: config.role,
    certificates: selection.map((m) => nativeCertificate(m, staples.get(m))),
    roots,
    ...(config.crls !== undefined && config.crls.length > 0 && { crls: config.crls }),
    ...revocationOptions(config.revocation, config.role),
    clientCaNames: server && config.trustedRoots !== null,
    minVersion,
    maxVersion,
    ciphers: (config.ciphers12 ?? DEFAULT_CIPHERS_12).join(":"),
    ciphersuites: (config.cipherSuites13 ?? DEFAULT_CIPHER_SUITES_13).join(":"),
    groups: groupList(config.groups ?? DEFAULT_GROUPS),
    serverPreference: server,
    // Traffic secrets reach JavaScript only for a keyLog callback; otherwise they stay in OpenSSL.
    keylog: config.keylog !== false,
  };
  const alpn = server ? alpnWire(config.alpn) : undefined;
  if (alpn !== undefined) options.alpn = alpn;
  if (server) {
    // Deterministic across processes with the same certificates, so shared ticket keys resume.
    const digest = createHash("sha256");
    for (const m of all) digest.update(m.leaf?.raw ?? m.pfx ?? Buffer.alloc(0));
    options.sessionIdContext = digest.digest().subarray(0, 16);
    if (config.sessionLifetimeSeconds !== undefined) options.sessionTimeout = config.sessionLifetimeSeconds;
    // Always the engine's ticket-key callback, so SECPKG_ATTR_SESSION_TICKET_KEYS can rotate the
    // keys in place later: the configured 48-byte key, or a random one of this credential.
    if (config.ticketKeys !== undefined) options.ticketKeys = [ticketKeyFrom48(config.ticketKeys)];
    else if (!config.disableResumption)
      options.ticketKeys = [{ name: randomBytes(16), hmac: randomBytes(32), aes: randomBytes(32) }];
    if (config.disableResumption) {
      options.tickets = false;
      options.sessionCache = false;
    }
  }
  return options;
}
