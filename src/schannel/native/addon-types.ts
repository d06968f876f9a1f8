/**
 * The shape of the native addon (`native/`, loaded by {@link loadNativeEngine}): what the C++
 * layer exports. It owns OpenSSL objects, buffers and callbacks only; every decision (statuses,
 * which alert, what is cached) is made in TypeScript.
 *
 * @module
 */

/** A session-ticket key: the first of a list encrypts, every one decrypts. */
export interface NativeTicketKey {
  /** 16 bytes. */
  name: Uint8Array;
  /** HMAC-SHA256 key, 16–64 bytes. */
  hmac: Uint8Array;
  /** AES-CBC key: 16 bytes (AES-128) or 32 (AES-256). */
  aes: Uint8Array;
}

/** A certificate with its key: a PEM/DER chain and PEM/PKCS#8-DER key, or a PKCS#12 blob. */
export type NativeCertificate = (
  | { chain: Uint8Array; key: Uint8Array; passphrase?: string }
  | { pfx: Uint8Array; passphrase?: string }
) & {
  /** Server: a DER OCSP response stapled when this certificate is served to a client asking for one. */
  ocspResponse?: Uint8Array;
};

/** Options of `new Credential(…)` (one SSL_CTX). */
export interface NativeCredentialOptions {
  role: "client" | "server";
  certificates?: NativeCertificate[];
  /** Trusted roots, each PEM (one or more blocks) or one DER certificate. Omitted: none. */
  roots?: Uint8Array[];
  /** Server: send the roots' names in the CertificateRequest. */
  clientCaNames?: boolean;
  /** CRLs (PEM or DER) added to the verify store. */
  crls?: Uint8Array[];
  /** 0 none, 1 the leaf's CRL, 2 every CRL of the chain (`X509_V_FLAG_CRL_CHECK[_ALL]`). */
  crlCheck?: 0 | 1 | 2;
  /** `X509_V_ERR_*` codes the verify callback accepts (the verify result stays OK). */
  tolerate?: number[];
  /** `X509_V_ERR_*` codes accepted only at the trust anchor (the top of a chain of two or more). */
  tolerateAtAnchor?: number[];
  /**
   * Client: 0 no status request; 1 request a stapled OCSP response and verify one that comes;
   * 2 also let a good response stand in for the leaf's missing CRL (`UNABLE_TO_GET_CRL` at depth
   * 0 is decided by the staple). A failed check ends the handshake with
   * bad_certificate_status_response and its `X509_V_ERR_*` as the verify result.
   */
  ocsp?: 0 | 1 | 2;
  /** `0x0303` (TLS 1.2) or `0x0304` (TLS 1.3). */
  minVersion?: number;
  maxVersion?: number;
  /** TLS 1.2 cipher list (OpenSSL syntax). */
  ciphers?: string;
  /** TLS 1.3 ciphersuites (OpenSSL syntax). */
  ciphersuites?: string;
  /** Groups list (OpenSSL syntax). */
  groups?: string;
  /** Server: accepted ALPN protocols in preference order, wire format. */
  alpn?: Uint8Array;
  serverPreference?: boolean;
  /** Server: keep a session cache (default true). */
  sessionCache?: boolean;
  sessionIdContext?: Uint8Array;
  sessionTimeout?: number;
  /** Issue tickets (default true). */
  tickets?: boolean;
  /** TLS 1.3 tickets per handshake (default 2). */
  numTickets?: number;
  /**
   * Server: credentials with other certificates; when the SNI does not match this credential's
   * certificate, the first alternative whose certificate matches it serves the connection.
   */
  alternatives?: NativeCredential[];
  /** Hand NSS key log lines to JavaScript with each step (default true); false keeps the secrets in OpenSSL. */
  keylog?: boolean;
  /** Server: use these ticket keys (replaceable with `setTicketKeys`) instead of OpenSSL's own. */
  ticketKeys?: NativeTicketKey[];
}

/** An SSL_CTX. */
export interface NativeCredential {
  /** Replaces the ticket keys in place (server credential created with `ticketKeys`). */
  setTicketKeys(keys: NativeTicketKey[]): void;
  /** The credential's certificate chain, leaf first, DER. */
  certificateChain(): Uint8Array[];
  free(): void;
}

/** An SSL_SESSION kept native. */
export interface NativeSession {
  toDER(): Uint8Array;
  id(): Uint8Array;
  protocol(): number;
  isResumable(): boolean;
  /** The server's leaf certificate kept in the session (DER), or null. */
  peerCertificate(): Uint8Array | null;
  free(): void;
}

/** Options of `new Context(credential, …)` (one SSL). */
export interface NativeContextOptions {
  /** Client: SNI. */
  serverName?: string;
  /** Client: DNS name the certificate must match. */
  verifyHost?: string;
  /** Client: IP address the certificate must match. */
  verifyIp?: string;
  /** Fail the handshake (with OpenSSL's alert) on a certificate error; false: record it only. */
  enforce?: boolean;
  /** Client: ALPN offer, wire format. */
  alpn?: Uint8Array;
  /** Client: the session to resume. */
  session?: NativeSession | null;
  /** Server: 0 no client certificate, 1 optional, 2 required. */
  requestCertificate?: 0 | 1 | 2;
  /** Client: suspend (`want-x509-lookup`) when asked for a certificate it does not have. */
  suspendForCertificate?: boolean;
}

/** One alert OpenSSL sent or received. */
export interface NativeAlert {
  direction: "sent" | "received";
  level: number;
  description: number;
}

/** What one `SSL_do_handshake` produced. */
export interface NativeStepResult {
  outcome: "done" | "want-read" | "want-x509-lookup" | "closed" | "error";
  /** What the write BIO held. */
  output: Uint8Array;
  /** Input bytes OpenSSL read; the rest is SECBUFFER_EXTRA. */
  consumed: number;
  alerts: NativeAlert[];
  /** NSS key log lines written during the step. */
  keylog: string[];
  /** Client: sessions OpenSSL produced during the step. */
  sessions: NativeSession[];
  /** OpenSSL's reason string of an error (`certificate verify failed`). */
  reason?: string;
  /** `ERR_GET_REASON` of the error, 0 when none. */
  errorReason: number;
  /** `X509_V_*` of the first certificate error the verify callback saw (0: none). */
  verifyResult: number;
  verifyDepth: number;
  /** Client: the server sent a CertificateRequest. */
  certificateRequested: boolean;
  /** OpenSSL derived a traffic secret by the end of the step (whether or not `keylog` carries it). */
  keysDerived: boolean;
}

/** What the SSL negotiated. */
export interface NativeInfo {
  established: boolean;
  version: string;
  versionNumber: number;
  cipher?: string;
  cipherStandardName?: string;
  cipherId?: number;
  /** OpenSSL short name of the group (`X25519`, `prime256v1`), or null. */
  group: string | null;
  /** TLS codepoint of a group OpenSSL has no NID for (`0x11ec` X25519MLKEM768); absent otherwise. */
  groupCodepoint?: number;
  alpn: string | null;
  serverName: string | null;
  resumed: boolean;
  verifyResult: number;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  sessionId: Uint8Array;
  dead: boolean;
}

/** An SSL over two memory BIOs. Every method throws when a step is running or after `free()`. */
/** The negative answers of {@link NativeContext.seal} (as `native/context.cc` defines them). */
export const SEAL = {
  CLOSED_FOR_WRITING: -1,
  DIED_WRITING: -2,
  BUFFER_TOO_SMALL: -3,
  OUTPUT_WAITING: -4,
  PARTIAL_POST_HANDSHAKE: -5,
  EMPTY_DATA: -6,
  DEAD: -7,
} as const;

/**
 * {@link NativeContext.open}'s answer, `status * 8 + flags`: the status (as `decrypt`'s, or
 * `DEAD_BEFORE`) and what waits to be taken.
 */
export const OPEN = {
  NO_APPLICATION_DATA: -1,
  CLOSE_NOTIFY: -4,
  DEAD_BEFORE: -5,
  STATUS_SHIFT: 3,
  FLAG_ALERTS: 1,
  FLAG_SESSIONS: 2,
  FLAG_OUTPUT: 4,
} as const;

export interface NativeContext {
  step(input: Uint8Array, callback: (error: Error | null, result: NativeStepResult) => void): void;
  stepSync(input: Uint8Array): NativeStepResult;
  /** One record of `min(plaintext.length, 16384)` bytes into `out`: bytes written, or -1/-2/-3. */
  encrypt(plaintext: Uint8Array, out: Uint8Array): number;
  /**
   * EncryptMessage in place: one record of `data` (≤ 16384 bytes): header into `header`, ciphertext
   * over `data`, the rest into `trailer`. The trailer bytes used, or -1 (not established or closed
   * for writing), -2 (died writing), -3 (a buffer too small), -4 (output waiting to be taken), -5 (a
   * post-handshake message partly received), -6 (empty `data`), -7 (dead before the call); checked
   * in the order dead, output waiting, closed for writing.
   */
  seal(header: Uint8Array, data: Uint8Array, trailer: Uint8Array): number;
  /** One alert record (`level` 1 or 2) into the output; false when it cannot be sent. A fatal one kills the context. */
  sendAlert(level: number, description: number): boolean;
  /**
   * DecryptMessage's one call per record: `decrypt`'s read with the rest packed in the answer,
   * `status * 8 + flags` — status as `decrypt`'s, or -5 dead before the call (nothing done);
   * flags 1 alerts to take, 2 sessions to take, 4 output waiting. Decode with `>> 3` and `& 7`.
   */
  open(record: Uint8Array, out: Uint8Array): number;
  /** Plaintext bytes of one record into `out`, or -1 (no application data), -2 (dead), -3, -4 (close_notify). */
  decrypt(input: Uint8Array, out: Uint8Array): number;
  /** Input bytes the last `decrypt` used. */
  consumed(): number;
  takeOutput(out: Uint8Array): number;
  pendingOutput(): number;
  takeAlerts(): NativeAlert[];
  takeSessions(): NativeSession[];
  lastError(): { reason: string; errorReason: number } | null;
  keyUpdate(requestPeer: boolean): boolean;
  shutdown(): boolean;
  setCertificate(credential: NativeCredential): void;
  setSuspendForCertificate(suspend: boolean): void;
  info(): NativeInfo;
  peerChain(): Uint8Array[];
  localCertificate(): Uint8Array | null;
  certificateAuthorities(): Uint8Array[];
  finished(): Uint8Array | null;
  peerFinished(): Uint8Array | null;
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array;
  session(): NativeSession | null;
  checkPeerName(name: string, isIp: boolean): boolean;
  streamSizes(): { header: number; trailer: number; maximumMessage: number; blockSize: number } | null;
  isDead(): boolean;
  isBusy(): boolean;
  free(): void;
}

/** The addon's exports. */
export interface NativeAddon {
  Credential: new (options: NativeCredentialOptions) => NativeCredential;
  Context: new (credential: NativeCredential, options: NativeContextOptions) => NativeContext;
  Session: { fromDER(der: Uint8Array): NativeSession };
  /** `OPENSSL_VERSION_TEXT` the addon was compiled against. */
  opensslVersionText: string;
  /** `OpenSSL_version(OPENSSL_VERSION)` of the library it runs on (node's). */
  opensslRuntimeVersion: string;
  /** Benchmark only: seconds to seal and open `size` bytes `iterations` times with AES-128-GCM (EVP). */
  aesGcmSealOpen(size: number, iterations: number): number;
}
