/**
 * Error details. The SSPI-shaped functions return bare statuses and never throw for bad input;
 * {@link SspiGetLastErrorInfo} tells why the last call failed: the status with its name, the
 * engine's reason, and the TLS alert sent or received.
 *
 * @module
 */
import { type ErrorInfo, peekHandle } from "./handle-table.js";
import type { SecHandle } from "./handles.js";
import { alertName } from "./schannel-constants.js";
import { formatStatus, type SECURITY_STATUS, statusName } from "./status.js";

/** A failure, explained. */
export interface SspiErrorInfo {
  /** The SSPI function that failed, e.g. `"InitializeSecurityContext"`. */
  operation: string;
  status: SECURITY_STATUS;
  /** `"SEC_E_UNTRUSTED_ROOT"`, or the hex value for an unknown status. */
  statusName: string;
  /** The engine's reason, e.g. `"certificate chain ends in an untrusted root"`. */
  reason: string | null;
  /** TLS alert description sent to the peer, with its name. */
  alertSent: { description: number; name: string } | null;
  /** TLS alert description received from the peer, with its name. */
  alertReceived: { description: number; name: string } | null;
  /** One line: `InitializeSecurityContext: SEC_E_UNTRUSTED_ROOT (0x80090325): … [alert sent: unknown_ca]`. */
  message: string;
}

let lastError: ErrorInfo | null = null;

/**
 * Where a target that is not a handle keeps its last error: `undefined` when the target is not
 * the source's (another source may know it), else its error or null.
 */
export type LastErrorSource = (target: object) => ErrorInfo | null | undefined;

const sources: LastErrorSource[] = [];

/**
 * @internal Lets a layer above the surface answer {@link SspiGetLastErrorInfo} for its own objects
 * (the async layer for `SspiAsyncContext`), so the surface imports nothing from above it.
 */
export function registerLastErrorSource(source: LastErrorSource): void {
  sources.push(source);
}

/** @internal Remembers the most recent failure of any call. */
export function recordError(error: ErrorInfo): void {
  lastError = error;
}

/** Builds the explained form of an error record. */
export function explainError(error: ErrorInfo): SspiErrorInfo {
  const alert = (d: number | undefined) => (d === undefined ? null : { description: d, name: alertName(d) });
  const alertSent = alert(error.alertSent);
  const alertReceived = alert(error.alertReceived);
  const parts = [`${error.operation}: ${formatStatus(error.status)}`];
  if (error.reason) parts[0] += `: ${error.reason}`;
  if (alertSent) parts.push(`[alert sent: ${alertSent.name}]`);
  if (alertReceived) parts.push(`[alert received: ${alertReceived.name}]`);
  return {
    operation: error.operation,
    status: error.status,
    statusName: statusName(error.status) ?? formatStatus(error.status),
    reason: error.reason ?? null,
    alertSent,
    alertReceived,
    message: parts.join(" "),
  };
}

/**
 * The details of a failure.
 *
 * - With a `CredHandle`/`CtxtHandle`: the last failed call on that handle (also after the
 *   handle was deleted, until its entry is gone).
 * - With an `SspiAsyncContext`: the last failed call queued on it (queue-time failures are not
 *   recorded there, since nothing was queued: see the no-argument form).
 * - With no argument: the most recent failure of any call in this thread, queue-time
 *   validation failures included.
 *
 * @returns the explained error, or null if there is none.
 */
export function SspiGetLastErrorInfo(target?: SecHandle | object | null): SspiErrorInfo | null {
  if (target === undefined || target === null) return lastError ? explainError(lastError) : null;
  for (const source of sources) {
    const error = source(target);
    if (error !== undefined) return error ? explainError(error) : null;
  }
  const error = peekHandle(target as SecHandle)?.lastError;
  return error ? explainError(error) : null;
}
