/**
 * `AuthError`: what the authentication API ({@link AuthContext}, the HTTP client and server)
 * throws — an `SspiError` with the status, its name and the package's reason.
 *
 * @module
 */
import { SspiError } from "../sspi/sspi-error.js";
import type { SECURITY_STATUS } from "../sspi/status.js";
import { failureOf } from "./tls-error.js";

/**
 * A failed authentication step or message call: `status` (e.g. `SEC_E_LOGON_DENIED`),
 * `statusName`, `reason` (the package's words, e.g. "wrong password for TESTDOM\\alice"),
 * `operation` (the SSPI function that failed) and a message combining them.
 */
export class AuthError extends SspiError {
  override readonly name: string = "AuthError";

  constructor(error: SspiError) {
    super({
      operation: error.operation,
      status: error.status,
      statusName: error.statusName,
      reason: error.reason,
      alertSent: null,
      alertReceived: null,
      message: error.message,
    });
  }

  /** The failure of `operation` (its details recorded on `handle`, if any). */
  static of(
    operation: string,
    status: SECURITY_STATUS,
    ...handles: Parameters<typeof failureOf>[2][]
  ): AuthError {
    return new AuthError(failureOf(operation, status, ...handles));
  }

  /** A failure the API itself detects (no package call failed). */
  static refused(operation: string, status: SECURITY_STATUS, reason: string): AuthError {
    return new AuthError(SspiError.from(operation, status, { reason }));
  }
}
