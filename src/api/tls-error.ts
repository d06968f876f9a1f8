/**
 * `TlsError`: the `SspiError` the idiomatic API throws, carrying the bytes that must still reach
 * the peer (the TLS alert) and any plaintext decrypted before the failure.
 *
 * @module
 */
import type { SecHandle } from "../sspi/handles.js";
import { SspiGetLastErrorInfo } from "../sspi/last-error.js";
import { SspiError } from "../sspi/sspi-error.js";
import type { SECURITY_STATUS } from "../sspi/status.js";
import { EMPTY } from "./bytes.js";
import { nodeCodeOf } from "./error-codes.js";

/**
 * A failed TLS operation. It is an {@link SspiError} (`status`, `statusName`, `reason`,
 * `alertSent`, `alertReceived`, and a message such as `InitializeSecurityContext:
 * SEC_E_UNTRUSTED_ROOT (0x80090325): … [alert sent: unknown_ca]`), plus:
 *
 * - `output`: bytes to send to the peer **before** closing the transport (the fatal alert
 *   record). Empty when there is nothing to send. `TlsContext.handshake()` and `SspiTlsStream`
 *   send it themselves; callers of `step()`/`decrypt()` must send it.
 * - `plaintext`: application data `decrypt()` had already decrypted from the same input, before
 *   the record that failed (empty otherwise). Nothing decrypted is dropped.
 */
export class TlsError extends SspiError {
  /** Bytes the peer must still receive (the alert), possibly empty. */
  readonly output: Uint8Array;
  /** Plaintext decrypted before the failing record, possibly empty. */
  readonly plaintext: Uint8Array;
  /**
   * Node's (OpenSSL's) code for the same failure, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
   * `ERR_TLS_CERT_ALTNAME_INVALID`, `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`, `ECONNRESET` (the table
   * is in `error-codes.ts`).
   */
  readonly code: string;

  /**
   * Wraps an explained SSPI failure with what must still be sent and what was decrypted.
   * `code` defaults to Node's code for the status and alerts.
   */
  constructor(
    error: SspiError,
    output: Uint8Array = EMPTY,
    plaintext: Uint8Array = EMPTY,
    code: string = nodeCodeOf(error),
  ) {
    super({
      operation: error.operation,
      status: error.status,
      statusName: error.statusName,
      reason: error.reason,
      alertSent: error.alertSent,
      alertReceived: error.alertReceived,
      message:
        output.byteLength > 0
          ? `${error.message} (send error.output: ${output.byteLength} bytes for the peer)`
          : error.message,
    });
    this.output = output;
    this.plaintext = plaintext;
    this.code = code;
  }
}

/**
 * The explained failure of the call `operation` that returned `status`, from the details the
 * SSPI layer recorded on `handles` (first match wins) or for the thread, falling back to the
 * bare status when no record matches.
 */
export function failureOf(
  operation: string,
  status: SECURITY_STATUS,
  ...handles: Array<SecHandle | null | undefined>
): SspiError {
  for (const target of [...handles, undefined]) {
    const info = target === null ? null : SspiGetLastErrorInfo(target);
    if (info !== null && info.status === status && info.operation === operation) return new SspiError(info);
  }
  return SspiError.from(operation, status);
}

/** An `SspiError` for an API misuse that maps onto a status (e.g. a closed context: `SEC_E_INVALID_HANDLE`). */
export function usageError(operation: string, status: SECURITY_STATUS, reason: string): SspiError {
  return SspiError.from(operation, status, { reason });
}
