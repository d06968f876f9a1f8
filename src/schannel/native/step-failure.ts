/**
 * How a failed native handshake step becomes an SSPI status: one function from OpenSSL's result
 * (reason string, verification result, the alerts OpenSSL itself sent or received) to the same
 * statuses the first engine returns (`engine-errors.ts` holds the tables).
 *
 * The alert reported is the one OpenSSL really sent (or received): never one it did not send.
 *
 * @module
 */
import { alertName } from "../../sspi/schannel-constants.js";
import { formatStatus, SEC_E_ILLEGAL_MESSAGE } from "../../sspi/status.js";
import {
  type EngineFailure,
  failureFromEngineError,
  failureFromRecordHeader,
} from "../engine/engine-errors.js";
import type { RecordHeaderError } from "../records/record-header.js";
import { alertOfDirection } from "../tls-alert.js";
import type { NativeStepResult } from "./addon-types.js";
import { certificateVerdict, settledVerifyResult } from "./verify-codes.js";

/** @returns Node's `ERR_SSL_*` code for an OpenSSL reason string (`"no shared cipher"` → `ERR_SSL_NO_SHARED_CIPHER`). */
export function nodeCodeOf(reason: string): string {
  return `ERR_SSL_${reason.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/**
 * Translates a failed step.
 *
 * @param peer - who the certificate belongs to, for the reason text.
 * @param headerError - an invalid record header found in the input before OpenSSL saw it.
 * @returns the status (`SEC_E_UNTRUSTED_ROOT`, `SEC_E_CERT_EXPIRED`, `SEC_E_WRONG_PRINCIPAL`,
 *   `SEC_E_CERT_UNKNOWN`, `SEC_E_MUTUAL_AUTH_FAILED`, `SEC_E_ALGORITHM_MISMATCH`,
 *   `SEC_E_APPLICATION_PROTOCOL_MISMATCH`, `SEC_E_MESSAGE_ALTERED`, `SEC_E_ILLEGAL_MESSAGE`), the
 *   alert OpenSSL sent or received, and a reason.
 */
export function failureOfStep(
  raw: NativeStepResult,
  peer: "server" | "client",
  headerError: RecordHeaderError | undefined,
): EngineFailure {
  const reason = raw.reason ?? (raw.outcome === "closed" ? "the peer closed the connection" : "TLS failure");
  const sent = alertOfDirection(raw.alerts, "sent");
  const received = alertOfDirection(raw.alerts, "received");
  let failure: EngineFailure;
  // A certificate rejected by the verify callback, or by the stapled-OCSP check (OpenSSL's
  // "invalid status response", bad_certificate_status_response sent).
  if (raw.verifyResult !== 0 && /certificate verify failed|invalid status response/i.test(reason)) {
    const verdict = certificateVerdict(settledVerifyResult(raw.verifyResult, raw.verifyDepth));
    failure = {
      status: verdict.status,
      reason: `${peer} certificate rejected: ${verdict.verifyError} (${formatStatus(verdict.status)})`,
    };
  } else if (received !== undefined && sent === undefined) {
    return {
      status: SEC_E_ILLEGAL_MESSAGE,
      alert: { description: received.description, direction: "received" },
      reason: `peer sent fatal alert ${alertName(received.description)} (${reason})`,
    };
  } else if (headerError !== undefined) {
    failure = failureFromRecordHeader(headerError);
  } else if (raw.outcome === "closed") {
    failure = { status: SEC_E_ILLEGAL_MESSAGE, reason };
  } else {
    failure = failureFromEngineError({ code: nodeCodeOf(reason), message: reason });
  }
  const result: EngineFailure = { status: failure.status, reason: failure.reason };
  if (sent !== undefined) {
    result.alert = { description: sent.description, direction: "sent" };
    result.reason += ` [alert sent: ${alertName(sent.description)}]`;
  } else if (failure.alert !== undefined) {
    result.alert = failure.alert; // the caller decides whether it can still send it
  }
  return result;
}
