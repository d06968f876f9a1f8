/**
 * The interface between the Schannel package (caller's thread) and the TLS engines (the security
 * service). Message-shaped: every argument and result is plain structured-clone data and every
 * handle is a number; the native host implements it (and tests may put another host behind it).
 *
 * Credentials (private keys) and engines live behind the host; the caller's side only sees ids,
 * statuses, tokens and, at `SEC_E_OK`, the handshake summary (traffic secrets only when the
 * credential asked for a key log) and the context's record layer (OpenSSL's).
 *
 * @module
 */

import type {
  EngineContextOptions,
  EngineCredentialConfig,
  EngineCredentialSummary,
  EngineStepResult,
} from "../schannel/engine/engine-types.js";
import type { NativeRecordLayer } from "../schannel/native/native-records.js";
import type { TicketKeyMaterial } from "../schannel/session-ticket-keys.js";
import type { SECURITY_STATUS } from "../sspi/status.js";

export type {
  EngineCertificateSource,
  EngineContextOptions,
  EngineCredentialConfig,
  EngineCredentialSummary,
  EngineStepResult,
  PostHandshakeResult,
} from "../schannel/engine/engine-types.js";

/** Result of {@link EngineHost.acquireCredential}. */
export interface AcquireCredentialResult {
  /** `SEC_E_OK`, or why the configuration cannot be used. */
  status: SECURITY_STATUS;
  /** Present with `SEC_E_OK`. */
  credentialId?: number;
  reason?: string;
  summary?: EngineCredentialSummary;
}

/** Result of {@link EngineHost.createContext}. */
export interface CreateContextResult {
  status: SECURITY_STATUS;
  /** Present with `SEC_E_OK`. */
  contextId?: number;
  reason?: string;
}

/** A security service hosting credentials and TLS engines. */
export interface EngineHost {
  /**
   * Why this host's engine cannot run in this process (one sentence: the native addon could not
   * load), or null/absent when it can. The Schannel package is then unavailable with this reason.
   */
  readonly unavailableReason?: string | null;

  /**
   * Replaces a server credential's session ticket keys in place (`SetCredentialsAttributes(…,
   * SECPKG_ATTR_SESSION_TICKET_KEYS, …)`): the first key encrypts new tickets, every key decrypts.
   * Synchronous. Absent on hosts that cannot rotate keys (the first engine's).
   *
   * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE` (unknown credential); `SEC_E_UNSUPPORTED_FUNCTION`
   *   (a client credential, or one with resumption disabled); `SEC_E_INVALID_PARAMETER`.
   */
  setTicketKeys?(
    credentialId: number,
    keys: TicketKeyMaterial[],
  ): { status: SECURITY_STATUS; reason?: string };

  /**
   * Checks the configuration and builds the credential (certificates, keys, SecureContexts).
   *
   * @returns `SEC_E_OK` with a new credential id; `SEC_E_NO_CREDENTIALS` (server without
   *   certificate), `SEC_E_UNKNOWN_CREDENTIALS` (unreadable certificate/key, wrong passphrase, key
   *   not matching), `SEC_E_INVALID_PARAMETER` (bad configuration), `SEC_E_ALGORITHM_MISMATCH`
   *   (cipher/group lists OpenSSL rejects), `SEC_E_INTERNAL_ERROR` (host disposed).
   */
  acquireCredential(config: EngineCredentialConfig): Promise<AcquireCredentialResult>;

  /**
   * Frees a credential. Contexts created from it keep working until deleted.
   *
   * @returns `SEC_E_OK`, or `SEC_E_INVALID_HANDLE` for an unknown id.
   */
  freeCredential(credentialId: number): Promise<SECURITY_STATUS>;

  /**
   * Creates an engine for a new security context.
   *
   * @returns `SEC_E_OK` with a context id; `SEC_E_INVALID_HANDLE` (unknown credential),
   *   `SEC_E_WRONG_CREDENTIAL_HANDLE` (client options with a server credential or the reverse),
   *   `SEC_E_INTERNAL_ERROR` (host disposed).
   */
  createContext(credentialId: number, options: EngineContextOptions): Promise<CreateContextResult>;

  /**
   * Runs one handshake step (see `TlsEngine.step` for every status). Steps of all contexts are
   * scheduled by the host; steps of one context run in call order.
   *
   * @returns the step result; `SEC_E_INVALID_HANDLE` for an unknown context.
   */
  step(contextId: number, input: Uint8Array): Promise<EngineStepResult>;

  /**
   * The record layer of an established context (OpenSSL's, used synchronously on the caller's
   * thread by EncryptMessage/DecryptMessage until the context is deleted).
   *
   * @returns the layer, or null for an unknown context or one whose handshake has not completed.
   */
  recordLayer?(contextId: number): NativeRecordLayer | null;

  /**
   * Produces close_notify through the engine (only while no record-layer record was written) and
   * releases the engine.
   *
   * @returns the bytes to send (possibly empty); an empty array for an unknown context.
   */
  close(contextId: number): Promise<Uint8Array>;

  /**
   * Releases the engine of a context (no output). Unknown ids are ignored.
   *
   * @returns `SEC_E_OK`, or `SEC_E_INVALID_HANDLE` for an unknown id.
   */
  deleteContext(contextId: number): Promise<SECURITY_STATUS>;

  /** Releases every engine and credential; later calls fail with `SEC_E_INTERNAL_ERROR`. */
  dispose(): Promise<void>;
}
