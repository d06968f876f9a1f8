/**
 * The synchronous SSPI functions that never wait on an engine: per-message protection
 * (`EncryptMessage`, `DecryptMessage`, `MakeSignature`, `VerifySignature`), attributes (`QueryContextAttributes`,
 * `SetContextAttributes`, `QueryCredentialsAttributes`, `SetCredentialsAttributes`) and
 * `ApplyControlToken`. They validate handles and descriptors, then dispatch to the package.
 * Every function can return `SEC_E_INVALID_HANDLE` for a stale, deleted, foreign or wrong-kind
 * handle and `SEC_E_UNSUPPORTED_FUNCTION` when the package does not implement it.
 *
 * @module
 */
import { validateBufferDesc } from "./buffer-validation.js";
import { type ContextEntry, type CredentialEntry, type HandleEntry, lookupHandle } from "./handle-table.js";
import type { SecHandle } from "./handles.js";
import { recordError } from "./last-error.js";
import type { Outcome } from "./security-package.js";
import {
  FAILED,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  type SECURITY_STATUS,
} from "./status.js";
import type { Box, SecBufferDesc } from "./types.js";

function finish(
  operation: string,
  outcome: Outcome,
  entry?: ContextEntry | CredentialEntry,
): SECURITY_STATUS {
  if (FAILED(outcome.status)) {
    const error = { operation, ...outcome };
    if (entry) entry.lastError = error;
    recordError(error);
  }
  return outcome.status;
}

function invalidHandle(operation: string, what: string): SECURITY_STATUS {
  return finish(operation, { status: SEC_E_INVALID_HANDLE, reason: `${what} is not a live handle` });
}

function unsupported(operation: string, entry: ContextEntry | CredentialEntry): SECURITY_STATUS {
  return finish(
    operation,
    { status: SEC_E_UNSUPPORTED_FUNCTION, reason: `${entry.pkg.info.Name} does not support ${operation}` },
    entry,
  );
}

/** A caller's argument threw while being read (a throwing getter, a revoked Proxy). */
function unreadable(operation: string, error: unknown): SECURITY_STATUS {
  const message = error instanceof Error ? error.message : "a value that cannot be read";
  return finish(operation, {
    status: SEC_E_INVALID_TOKEN,
    reason: `an argument could not be read: ${message}`,
  });
}

function isBox(value: unknown): value is Box<unknown> {
  return typeof value === "object" && value !== null;
}

const NOT_A_BOX: Outcome = { status: SEC_E_INVALID_PARAMETER, reason: "pBuffer must be a { value } box" };

/**
 * The shape every function here shares: look the handle up, run `body` on its entry, record
 * a failure's details on the handle, and turn an argument that throws while being read into
 * `SEC_E_INVALID_TOKEN`. `body` returns `undefined` when the package lacks the function
 * (`SEC_E_UNSUPPORTED_FUNCTION`).
 */
function dispatch<K extends HandleEntry["kind"]>(
  operation: string,
  kind: K,
  handle: unknown,
  body: (entry: Extract<HandleEntry, { kind: K }>) => Outcome | undefined,
): SECURITY_STATUS {
  try {
    const entry = lookupHandle(handle, kind);
    if (entry === undefined)
      return invalidHandle(operation, kind === "context" ? "phContext" : "phCredential");
    const outcome = body(entry);
    return outcome === undefined ? unsupported(operation, entry) : finish(operation, outcome, entry);
  } catch (error) {
    return unreadable(operation, error);
  }
}

/** Validates a message descriptor, then runs `call`. */
function withDescriptor(desc: SecBufferDesc, call: () => Outcome): Outcome {
  const validated = validateBufferDesc(desc, "input");
  return validated.status === SEC_E_OK ? call() : validated;
}

/**
 * Encrypts one message in place, in the package's buffer layout.
 * - Schannel: `[SECBUFFER_STREAM_HEADER, SECBUFFER_DATA (≤ cbMaximumMessage),
 *   SECBUFFER_STREAM_TRAILER, SECBUFFER_EMPTY]` sized from `SECPKG_ATTR_STREAM_SIZES`.
 * - NTLM: `SECBUFFER_TOKEN` (≥ `cbSecurityTrailer` of `SECPKG_ATTR_SIZES`, receives the
 *   signature) and one or more `SECBUFFER_DATA` (sealed in place; `SECBUFFER_READONLY` ones are
 *   signed, not sealed).
 *
 * @param fQOP 0 (or `SECQOP_WRAP_OOB_DATA` where the package supports it).
 * @param MessageSeqNo must be 0 for Schannel; ignored by NTLM (connection-oriented: the context
 *   keeps the sequence numbers).
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_TOKEN` (malformed descriptor);
 *   `SEC_E_QOP_NOT_SUPPORTED`; the package's failures (`SEC_E_BUFFER_TOO_SMALL`,
 *   `SEC_E_CONTEXT_EXPIRED`, `SEC_E_INCOMPLETE_MESSAGE`, `SEC_E_UNSUPPORTED_FUNCTION` — NTLM
 *   without negotiated confidentiality —, …).
 */
export function EncryptMessage(
  phContext: SecHandle,
  fQOP: number,
  pMessage: SecBufferDesc,
  MessageSeqNo: number,
): SECURITY_STATUS {
  return dispatch("EncryptMessage", "context", phContext, (e) => {
    if (!e.pkg.encryptMessage) return undefined;
    return withDescriptor(pMessage, () =>
      e.pkg.encryptMessage!(e.context, fQOP >>> 0, pMessage, MessageSeqNo >>> 0),
    );
  });
}

/**
 * Decrypts one message in place, in the package's buffer layout.
 * - Schannel: `[SECBUFFER_DATA (received bytes), SECBUFFER_EMPTY ×3]` becomes
 *   `[SECBUFFER_STREAM_HEADER, SECBUFFER_DATA (plaintext view), SECBUFFER_STREAM_TRAILER,
 *   SECBUFFER_EXTRA (unconsumed tail)]`.
 * - NTLM: `SECBUFFER_TOKEN` (the signature) and the `SECBUFFER_DATA` buffers as sent, unsealed
 *   in place.
 *
 * @param MessageSeqNo must be 0 for Schannel; ignored by NTLM.
 * @param pfQOP receives the QOP (0), or null.
 * @returns `SEC_E_OK`; `SEC_E_INCOMPLETE_MESSAGE` (a `SECBUFFER_MISSING` says how many bytes);
 *   `SEC_I_CONTEXT_EXPIRED` (close_notify); `SEC_I_RENEGOTIATE` (bytes to send: call ISC/ASC);
 *   `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_TOKEN`; the package's failures
 *   (`SEC_E_MESSAGE_ALTERED`, `SEC_E_OUT_OF_SEQUENCE`, `SEC_E_DECRYPT_FAILURE`,
 *   `SEC_E_CONTEXT_EXPIRED`, …).
 */
export function DecryptMessage(
  phContext: SecHandle,
  pMessage: SecBufferDesc,
  MessageSeqNo: number,
  pfQOP: Box<number> | null,
): SECURITY_STATUS {
  return dispatch("DecryptMessage", "context", phContext, (e) => {
    if (!e.pkg.decryptMessage) return undefined;
    const qop = isBox(pfQOP) ? (pfQOP as Box<number>) : null;
    return withDescriptor(pMessage, () =>
      e.pkg.decryptMessage!(e.context, pMessage, qop, MessageSeqNo >>> 0),
    );
  });
}

/**
 * Signs a message: the signature of the `SECBUFFER_DATA` buffers (all of them, read-only ones
 * included, in order) goes into the `SECBUFFER_TOKEN` buffer (its `cbBuffer` becomes the
 * signature's size; size it from `cbMaxSignature` of `SECPKG_ATTR_SIZES`). Not supported by
 * Schannel, as on Windows.
 *
 * @param fQOP 0.
 * @param MessageSeqNo ignored by NTLM (connection-oriented).
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_TOKEN` (malformed descriptor, no
 *   `SECBUFFER_TOKEN`); `SEC_E_BUFFER_TOO_SMALL`; `SEC_E_QOP_NOT_SUPPORTED`;
 *   `SEC_E_UNSUPPORTED_FUNCTION` (the package cannot sign, or integrity was not negotiated).
 */
export function MakeSignature(
  phContext: SecHandle,
  fQOP: number,
  pMessage: SecBufferDesc,
  MessageSeqNo: number,
): SECURITY_STATUS {
  return dispatch("MakeSignature", "context", phContext, (e) => {
    if (!e.pkg.makeSignature) return undefined;
    return withDescriptor(pMessage, () =>
      e.pkg.makeSignature!(e.context, fQOP >>> 0, pMessage, MessageSeqNo >>> 0),
    );
  });
}

/**
 * Verifies a signature made by the peer's MakeSignature over the same `SECBUFFER_DATA` buffers.
 *
 * @param MessageSeqNo ignored by NTLM (connection-oriented).
 * @param pfQOP receives the QOP (0), or null.
 * @returns `SEC_E_OK`; `SEC_E_MESSAGE_ALTERED` (the signature does not match);
 *   `SEC_E_OUT_OF_SEQUENCE` (a replayed, reordered or missing message); `SEC_E_INVALID_HANDLE`;
 *   `SEC_E_INVALID_TOKEN`; `SEC_E_UNSUPPORTED_FUNCTION`.
 */
export function VerifySignature(
  phContext: SecHandle,
  pMessage: SecBufferDesc,
  MessageSeqNo: number,
  pfQOP: Box<number> | null,
): SECURITY_STATUS {
  return dispatch("VerifySignature", "context", phContext, (e) => {
    if (!e.pkg.verifySignature) return undefined;
    const qop = isBox(pfQOP) ? (pfQOP as Box<number>) : null;
    return withDescriptor(pMessage, () =>
      e.pkg.verifySignature!(e.context, pMessage, qop, MessageSeqNo >>> 0),
    );
  });
}

/**
 * Reads a context attribute into `pBuffer.value` (a typed object; see the package's docs for
 * each `SECPKG_ATTR_*`). Answered from the context's state, never waiting on an engine.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_PARAMETER` (`pBuffer` not a box);
 *   `SEC_E_UNSUPPORTED_FUNCTION` (attribute not supported); package failures such as
 *   `SEC_E_NO_CREDENTIALS` (no such certificate) or `SEC_E_CONTEXT_EXPIRED`.
 */
export function QueryContextAttributes(
  phContext: SecHandle,
  ulAttribute: number,
  pBuffer: Box<unknown>,
): SECURITY_STATUS {
  return dispatch("QueryContextAttributes", "context", phContext, (e) => {
    if (!isBox(pBuffer)) return NOT_A_BOX;
    return e.pkg.queryContextAttributes?.(e.context, ulAttribute >>> 0, pBuffer);
  });
}

/**
 * Sets a context attribute (e.g. `SECPKG_ATTR_KEYING_MATERIAL_INFO`).
 *
 * @param pBuffer the attribute's value (a typed object).
 * @param cbBuffer accepted for C parity and ignored.
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_UNSUPPORTED_FUNCTION`;
 *   `SEC_E_INVALID_PARAMETER` (malformed value); package failures.
 */
export function SetContextAttributes(
  phContext: SecHandle,
  ulAttribute: number,
  pBuffer: unknown,
  cbBuffer = 0,
): SECURITY_STATUS {
  void cbBuffer;
  return dispatch("SetContextAttributes", "context", phContext, (e) =>
    e.pkg.setContextAttributes?.(e.context, ulAttribute >>> 0, pBuffer),
  );
}

/**
 * Reads a credential attribute into `pBuffer.value` (Schannel: `SECPKG_ATTR_SUPPORTED_PROTOCOLS`,
 * `SECPKG_ATTR_SUPPORTED_ALGS`, `SECPKG_ATTR_CIPHER_STRENGTHS`).
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_PARAMETER`; `SEC_E_UNSUPPORTED_FUNCTION`.
 */
export function QueryCredentialsAttributes(
  phCredential: SecHandle,
  ulAttribute: number,
  pBuffer: Box<unknown>,
): SECURITY_STATUS {
  return dispatch("QueryCredentialsAttributes", "credential", phCredential, (e) => {
    if (!isBox(pBuffer)) return NOT_A_BOX;
    return e.pkg.queryCredentialsAttributes?.(e.credential, ulAttribute >>> 0, pBuffer);
  });
}

/**
 * Sets a credential attribute (Schannel: `SECPKG_ATTR_SESSION_TICKET_KEYS`).
 *
 * @param cbBuffer accepted for C parity and ignored.
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_UNSUPPORTED_FUNCTION`; `SEC_E_INVALID_PARAMETER`.
 */
export function SetCredentialsAttributes(
  phCredential: SecHandle,
  ulAttribute: number,
  pBuffer: unknown,
  cbBuffer = 0,
): SECURITY_STATUS {
  void cbBuffer;
  return dispatch("SetCredentialsAttributes", "credential", phCredential, (e) =>
    e.pkg.setCredentialsAttributes?.(e.credential, ulAttribute >>> 0, pBuffer),
  );
}

/**
 * Applies a control token (Schannel: `SCHANNEL_SHUTDOWN`, `SCHANNEL_ALERT`, `SCHANNEL_SESSION`,
 * as a 4-byte little-endian token type in a `SECBUFFER_TOKEN`, followed by its fields). The
 * next ISC/ASC call produces the resulting record.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_TOKEN`; `SEC_E_UNSUPPORTED_FUNCTION`.
 */
export function ApplyControlToken(phContext: SecHandle, pInput: SecBufferDesc): SECURITY_STATUS {
  return dispatch("ApplyControlToken", "context", phContext, (e) => {
    if (!e.pkg.applyControlToken) return undefined;
    return withDescriptor(pInput, () => e.pkg.applyControlToken!(e.context, pInput));
  });
}
