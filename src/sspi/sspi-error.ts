/**
 * `SspiError`: what the idiomatic (promise) API throws.
 *
 * @module
 */

import type { ErrorInfo } from "./handle-table.js";
import { explainError, type SspiErrorInfo } from "./last-error.js";
import type { SECURITY_STATUS } from "./status.js";

/** An SSPI failure as an exception: `SEC_E_UNTRUSTED_ROOT (0x80090325): certificate chain … [alert sent: unknown_ca]`. */
export class SspiError extends Error {
  override readonly name: string = "SspiError";
  readonly status: SECURITY_STATUS;
  readonly statusName: string;
  readonly operation: string;
  readonly reason: string | null;
  readonly alertSent: SspiErrorInfo["alertSent"];
  readonly alertReceived: SspiErrorInfo["alertReceived"];

  constructor(info: SspiErrorInfo) {
    super(info.message);
    this.status = info.status;
    this.statusName = info.statusName;
    this.operation = info.operation;
    this.reason = info.reason;
    this.alertSent = info.alertSent;
    this.alertReceived = info.alertReceived;
  }

  /** Builds an error from a status and what is known about it. */
  static from(
    operation: string,
    status: SECURITY_STATUS,
    details: Omit<ErrorInfo, "operation" | "status"> = {},
  ): SspiError {
    return new SspiError(explainError({ operation, status, ...details }));
  }
}
