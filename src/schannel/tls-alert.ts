/**
 * "Which alert, in which direction": one shape from OpenSSL's alert callback to the SSPI status
 * and the `alertSent` / `alertReceived` of an outcome (and so of `SspiGetLastErrorInfo` and the
 * idiomatic API's `TlsError`).
 *
 * @module
 */
import {
  alertName,
  TLS1_ALERT_BAD_RECORD_MAC,
  TLS1_ALERT_DECODE_ERROR,
  TLS1_ALERT_DECRYPT_ERROR,
  TLS1_ALERT_FATAL,
  TLS1_ALERT_RECORD_OVERFLOW,
} from "../sspi/schannel-constants.js";
import type { Outcome } from "../sspi/security-package.js";
import {
  SEC_E_DECRYPT_FAILURE,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_MESSAGE_ALTERED,
  type SECURITY_STATUS,
} from "../sspi/status.js";

/** One alert that went over the connection. */
export interface AlertEvent {
  readonly direction: "sent" | "received";
  /** 1 warning, 2 fatal. */
  readonly level: number;
  /** The TLS AlertDescription (`TLS1_ALERT_*`). */
  readonly description: number;
}

/** Which alert, which direction (without the level): what a failure reports. */
export type AlertRef = Pick<AlertEvent, "direction" | "description">;

/** @returns the alerts of OpenSSL's callback as {@link AlertEvent}s. */
export function alertEventsOf(
  alerts: readonly { direction: "sent" | "received"; level: number; description: number }[],
): AlertEvent[] {
  return alerts.map((a) => ({ direction: a.direction, level: a.level, description: a.description }));
}

/** @returns the fatal alert of `direction` (else its first alert), or undefined. */
export function alertOfDirection(
  alerts: readonly AlertEvent[],
  direction: "sent" | "received",
): AlertEvent | undefined {
  const of = alerts.filter((a) => a.direction === direction);
  return of.find((a) => a.level === TLS1_ALERT_FATAL) ?? of[0];
}

/**
 * The status of a record-layer failure: the peer's fatal alert → `SEC_E_ILLEGAL_MESSAGE`; our
 * bad_record_mac → `SEC_E_MESSAGE_ALTERED`; record_overflow, decode_error, decrypt_error →
 * `SEC_E_DECRYPT_FAILURE`; any other alert we sent → `SEC_E_ILLEGAL_MESSAGE`.
 */
export function failureStatusOf(alerts: readonly AlertEvent[], _reason: string): SECURITY_STATUS {
  const sent = alertOfDirection(alerts, "sent");
  if (sent === undefined) return SEC_E_ILLEGAL_MESSAGE;
  switch (sent.description) {
    case TLS1_ALERT_BAD_RECORD_MAC:
      return SEC_E_MESSAGE_ALTERED;
    case TLS1_ALERT_RECORD_OVERFLOW:
    case TLS1_ALERT_DECODE_ERROR:
    case TLS1_ALERT_DECRYPT_ERROR:
      return SEC_E_DECRYPT_FAILURE;
    default:
      return SEC_E_ILLEGAL_MESSAGE;
  }
}

/** @returns `alertSent` / `alertReceived` of an outcome for `alerts` (the fatal one of each direction first). */
export function alertFields(alerts: readonly AlertEvent[]): Pick<Outcome, "alertSent" | "alertReceived"> {
  const sent = alertOfDirection(alerts, "sent");
  const received = alertOfDirection(alerts, "received");
  return {
    ...(sent !== undefined && { alertSent: sent.description }),
    ...(received !== undefined && { alertReceived: received.description }),
  };
}

/** @returns a reason suffix naming the alerts (`[alert sent: bad_record_mac]`), or "". */
export function describeAlerts(alerts: readonly AlertEvent[]): string {
  return alerts.map((a) => ` [alert ${a.direction}: ${alertName(a.description)}]`).join("");
}
