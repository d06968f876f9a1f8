/**
 * The one error type every NTLM failure maps into: a failure kind with its SSPI status and a
 * reason that never contains secrets (no password, hash, key or proof bytes, and the same text for
 * "unknown user" and "wrong password").
 *
 * @module
 */
import {
  formatStatus,
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_BAD_BINDINGS,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_E_UNSUPPORTED_FUNCTION,
  type SECURITY_STATUS,
} from "../sspi/status.js";

/**
 * What went wrong, one name per failure an NTLM caller must tell apart.
 *
 * | kind | status | when |
 * |---|---|---|
 * | `invalid-token` | `SEC_E_INVALID_TOKEN` | a message is truncated, has a field outside its bounds, a wrong signature or type |
 * | `logon-denied` | `SEC_E_LOGON_DENIED` | wrong password or unknown user (same reason text), anonymous logon |
 * | `downlevel-refused` | `SEC_E_LOGON_DENIED` | an LM or NTLMv1 response: only NTLMv2 is accepted |
 * | `replayed` | `SEC_E_LOGON_DENIED` | an AUTHENTICATE whose NTProofStr the server already accepted |
 * | `message-altered` | `SEC_E_MESSAGE_ALTERED` | bad MIC, bad message signature |
 * | `bad-bindings` | `SEC_E_BAD_BINDINGS` | channel bindings missing or different, under the server's policy |
 * | `out-of-sequence` | `SEC_E_OUT_OF_SEQUENCE` | a message signature with an unexpected sequence number (replay, reorder), or a token in the wrong phase |
 * | `algorithm-mismatch` | `SEC_E_ALGORITHM_MISMATCH` | the peer cannot do NTLMv2 session security (no extended session security) |
 * | `no-credentials` | `SEC_E_NO_CREDENTIALS` | no usable client credentials (e.g. no matching line in `NTLM_USER_FILE`) |
 * | `unsupported` | `SEC_E_UNSUPPORTED_FUNCTION` | signing or sealing that was not negotiated; a synchronous call on an asynchronous user store |
 */
export type NtlmFailureKind =
  | "invalid-token"
  | "logon-denied"
  | "downlevel-refused"
  | "replayed"
  | "message-altered"
  | "bad-bindings"
  | "out-of-sequence"
  | "algorithm-mismatch"
  | "no-credentials"
  | "unsupported";

const STATUS: Record<NtlmFailureKind, SECURITY_STATUS> = {
  "invalid-token": SEC_E_INVALID_TOKEN,
  "logon-denied": SEC_E_LOGON_DENIED,
  "downlevel-refused": SEC_E_LOGON_DENIED,
  replayed: SEC_E_LOGON_DENIED,
  "message-altered": SEC_E_MESSAGE_ALTERED,
  "bad-bindings": SEC_E_BAD_BINDINGS,
  "out-of-sequence": SEC_E_OUT_OF_SEQUENCE,
  "algorithm-mismatch": SEC_E_ALGORITHM_MISMATCH,
  "no-credentials": SEC_E_NO_CREDENTIALS,
  unsupported: SEC_E_UNSUPPORTED_FUNCTION,
};

/** The reason given for both a wrong password and an unknown user, so neither is revealed. */
export const LOGON_DENIED_REASON = "the user name or password is incorrect";

/** An NTLM failure: `kind`, the SSPI `status` it maps to, and a `reason` safe to show. */
export class NtlmError extends Error {
  override readonly name = "NtlmError";
  /** The SECURITY_STATUS an SSPI call returns for this failure. */
  readonly status: SECURITY_STATUS;

  constructor(
    readonly kind: NtlmFailureKind,
    readonly reason: string,
  ) {
    const status = STATUS[kind];
    super(`${formatStatus(status)}: ${reason}`);
    this.status = status;
  }
}

/** Shorthand for a malformed-token failure. */
export function invalidToken(reason: string): NtlmError {
  return new NtlmError("invalid-token", reason);
}
