/**
 * The plain data that crosses the engine boundary: credential configuration, per-context options,
 * step results and the handshake summary.
 *
 * Everything here is structured-clone safe (Uint8Array, strings, numbers, booleans, plain objects
 * and arrays), so a worker-pool host can carry it over a MessagePort unchanged. No class
 * instances, no functions.
 *
 * @module
 */

import type { SECURITY_STATUS } from "../../sspi/status.js";
import type { RevocationPolicy } from "../revocation.js";
import type { AlertEvent } from "../tls-alert.js";

/** TLS protocol versions the engine negotiates. */
export type EngineTlsVersion = "TLSv1.2" | "TLSv1.3";

/** A certificate chain with its private key (PEM text or DER bytes). */
export interface EngineKeyPairSource {
  /** The leaf certificate followed by its intermediates: PEM (one or more blocks) or one DER certificate. */
  certificate: string | Uint8Array;
  /**
   * The private key: PEM (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8) as text or as its bytes, or
   * PKCS#8 DER. The engine keeps its own zeroable copy (see {@link EngineCredential.dispose}).
   */
  privateKey: string | Uint8Array;
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
}

/** A PKCS#12 (PFX) blob holding a certificate chain and its key. */
export interface EnginePfxSource {
  pfx: Uint8Array;
  passphrase?: string;
}

/** One certificate of a credential. */
export type EngineCertificateSource = (EngineKeyPairSource | EnginePfxSource) & {
  /** Server: a DER OCSP response stapled with this certificate. */
  ocspResponse?: Uint8Array;
};

/**
 * The configuration of a Schannel credential as the engine sees it (the analogue of
 * `SCH_CREDENTIALS`).
 */
export interface EngineCredentialConfig {
  role: "client" | "server";
  /** Server: at least one. Client: zero or one (the client certificate for mutual TLS). */
  certificates: EngineCertificateSource[];
  /** Trusted roots (PEM or DER) for peer validation; `null` means Node's default root store. */
  trustedRoots: Array<string | Uint8Array> | null;
  /** CRLs (PEM or DER) for the revocation checks `revocation` asks for. */
  crls?: Uint8Array[];
  revocation?: RevocationPolicy;
  minVersion: EngineTlsVersion;
  maxVersion: EngineTlsVersion;
  /** TLS 1.3 suites, OpenSSL names. Default: the three AEAD suites. */
  cipherSuites13?: string[];
  /** TLS 1.2 suites, OpenSSL names. Default: ECDHE-ECDSA/RSA with AES-GCM and ChaCha20-Poly1305. */
  ciphers12?: string[];
  /** Key exchange groups, OpenSSL names, preference order. Default: `X25519:P-256:P-384`. */
  groups?: string[];
  /** Server: accepted ALPN protocols in preference order. Client: default offer. */
  alpn?: string[];
  /** Client: never offer or store sessions. Server: no TLS 1.2 tickets and no session cache. */
  disableResumption?: boolean;
  /** Lifetime of issued sessions/tickets (server) in seconds. OpenSSL's default is 300. */
  sessionLifetimeSeconds?: number;
  /** Server: 48 bytes of ticket key material, to share tickets between credentials/processes. */
  ticketKeys?: Uint8Array;
  /**
   * Export the traffic secrets in {@link HandshakeSummary.secrets} (default true). The engine always
   * listens to OpenSSL's key log internally, because it needs the handshake secrets to seal the
   * alerts it sends itself; with `false` they are simply not exported.
   */
  keylog?: boolean;
}

/** Per-context options of a client engine (the `pszTargetName` and `ISC_REQ_*` that matter here). */
export interface ClientContextOptions {
  role: "client";
  /** SNI and name to check the certificate against; `null`: no SNI and no name check. */
  serverName: string | null;
  /** ALPN protocols to offer; defaults to the credential's `alpn`. */
  alpn?: string[];
  /**
   * A session (from a previous handshake's `sessions`) to resume; otherwise the credential's cache
   * is used (never with `manualValidation`). Native engine: an exported session
   * (`native/session-blob.ts`), offered only under the same target, validation mode and trusted
   * roots; the certificate kept in it is checked against `serverName` again on resumption.
   */
  session?: Uint8Array;
  /** Do not validate the server certificate (`ISC_REQ_MANUAL_CRED_VALIDATION`); the result is still reported. */
  manualValidation: boolean;
  /** Validate the chain but not the name (`SCH_CRED_NO_SERVERNAME_CHECK`). */
  noServerNameCheck: boolean;
  /**
   * Port-less target used (with the validation mode: manual, no-name-check, full) as the session
   * cache key; defaults to `serverName`. Only sessions whose certificate our validation accepted
   * are cached, and a resumed session's certificate is checked against `serverName` again.
   */
  cacheKey?: string;
}

/** Per-context options of a server engine. */
export interface ServerContextOptions {
  role: "server";
  /**
   * Request a client certificate (`ASC_REQ_MUTUAL_AUTH`). A client that sends none fails the
   * handshake (OpenSSL sends certificate_required in TLS 1.3, handshake_failure in TLS 1.2) unless
   * `clientCertificateOptional` is set.
   */
  requestClientCertificate: boolean;
  /** With `requestClientCertificate`: accept a client that sends no certificate. */
  clientCertificateOptional?: boolean;
}

/** Per-context options. */
export type EngineContextOptions = ClientContextOptions | ServerContextOptions;

/** A TLS alert the engine sent or received. */
export type EngineAlert = AlertEvent;

/** Traffic secrets and randoms from the key log (raw bytes), for a keyLog callback. */
export interface HandshakeSecrets {
  /** 32 bytes, from the key log. */
  clientRandom: Uint8Array;
  /** 32 bytes, parsed from the ServerHello the engine carried. */
  serverRandom: Uint8Array;
  /** TLS 1.2: the (extended) master secret. */
  masterSecret?: Uint8Array;
  clientHandshakeTrafficSecret?: Uint8Array;
  serverHandshakeTrafficSecret?: Uint8Array;
  clientTrafficSecret0?: Uint8Array;
  serverTrafficSecret0?: Uint8Array;
  exporterSecret?: Uint8Array;
}

/** Result of validating the peer certificate. */
export interface CertificateCheck {
  /** OpenSSL/Node verification code (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`, …), `null` when valid. */
  verifyError: string | null;
  /** The SSPI status this result maps to (`SEC_E_OK` when valid). */
  status: SECURITY_STATUS;
  /** Whether the engine enforced the result (false with manual validation or when no certificate was requested). */
  enforced: boolean;
}

/** What a completed handshake negotiated, plus what the direct record layer needs. */
export interface HandshakeSummary {
  role: "client" | "server";
  protocol: EngineTlsVersion;
  /** OpenSSL cipher name (`TLS_AES_256_GCM_SHA384`, `ECDHE-ECDSA-AES128-GCM-SHA256`). */
  cipher: string;
  /** IANA name (`TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`). */
  cipherStandardName: string;
  /** IANA cipher suite number (`0x1302`). */
  cipherSuite: number;
  /** Key exchange group (`X25519`, `prime256v1`); `null` when unknown (resumption without key share). */
  group: string | null;
  /** Negotiated ALPN protocol, `null` when none. */
  alpn: string | null;
  /** Server name: the SNI the client sent (server) or asked for (client). */
  serverName: string | null;
  /** Peer certificate chain, leaf first, DER. Empty when the peer sent none. */
  peerCertificates: Uint8Array[];
  /** Our certificate, DER, or `null`. */
  localCertificate: Uint8Array | null;
  resumed: boolean;
  /** Session id (from the serialized session), possibly empty. */
  sessionId: Uint8Array;
  certificateCheck: CertificateCheck;
  /** Client: the server sent a CertificateRequest. */
  clientCertificateRequested: boolean;
  /** Client: distinguished names (DER) from the CertificateRequest (TLS 1.2 only; empty otherwise). */
  acceptableIssuers: Uint8Array[];
  /** Key material for the key log (absent when the credential set `keylog: false`). Zero it after use. */
  secrets?: HandshakeSecrets;
  /** Sequence number of the next record this side writes (TLS 1.3 server: tickets already written); for test peers that seal with the key log's secrets. */
  writeSequence: number;
  /** Sequence number of the next record this side reads. */
  readSequence: number;
  /**
   * TLS 1.2: the first Finished message of the handshake (RFC 5929 tls-unique: the client's on a
   * full handshake, the server's on a resumption). Absent on TLS 1.3 and from the first engine.
   */
  tlsUnique?: Uint8Array;
}

/** Result of one `step` (one InitializeSecurityContext/AcceptSecurityContext call). */
export interface EngineStepResult {
  /**
   * `SEC_I_CONTINUE_NEEDED`, `SEC_E_OK`, `SEC_E_INCOMPLETE_MESSAGE` or an error
   * (`SEC_E_ILLEGAL_MESSAGE`, `SEC_E_UNTRUSTED_ROOT`, …).
   */
  status: SECURITY_STATUS;
  /** Bytes to send to the peer: possibly non-empty with `SEC_E_OK` and with errors (the alert). */
  output: Uint8Array;
  /** Input bytes used; the rest of the input is `SECBUFFER_EXTRA`. */
  consumed: number;
  /** With `SEC_E_INCOMPLETE_MESSAGE`: bytes still needed to complete the next record. */
  missing: number;
  alert?: EngineAlert;
  /** The engine's readable reason for an error. */
  reason?: string;
  /** With `SEC_E_OK` on the completing step. */
  handshake?: HandshakeSummary;
  /** Client: sessions received during this step (TLS 1.2 at handshake; TLS 1.3 via post-handshake delivery); native engine: exported (`native/session-blob.ts`), only after validation. */
  sessions?: Uint8Array[];
}

/** Result of acquiring an engine credential. */
export interface EngineCredentialResult {
  status: SECURITY_STATUS;
  reason?: string;
  /** A description of what was loaded (present with `SEC_E_OK`). */
  summary?: EngineCredentialSummary;
}

/** What an acquired credential holds. */
export interface EngineCredentialSummary {
  role: "client" | "server";
  /** One entry per certificate: subject, DNS names, key type, DER of the leaf. */
  certificates: Array<{ subject: string; names: string[]; keyType: string; der: Uint8Array | null }>;
  minVersion: EngineTlsVersion;
  maxVersion: EngineTlsVersion;
}

/** Result of delivering post-handshake records to a client engine. */
export interface PostHandshakeResult {
  status: SECURITY_STATUS;
  /** Sessions (tickets) the engine produced. */
  sessions: Uint8Array[];
  /** Records consumed. */
  consumed: number;
  reason?: string;
}
