/**
 * How engine failures become SSPI statuses and TLS alerts: errors OpenSSL raises (through Node's
 * `ERR_SSL_*` codes), certificate verification results decided by the engine, and invalid record
 * headers found before anything reaches OpenSSL.
 *
 * Documented choices:
 * - no shared protocol version → `SEC_E_ALGORITHM_MISMATCH` (what Windows reports when client and
 *   server "do not possess a common algorithm", including the protocol), not `SEC_E_UNSUPPORTED_FUNCTION`;
 * - any fatal alert *received* from the peer → `SEC_E_ILLEGAL_MESSAGE`, with the alert reported
 *   as `received`;
 * - a client that sends no certificate to a server that requires one →
 *   `SEC_E_MUTUAL_AUTH_FAILED`;
 * - an OpenSSL error not listed → `SEC_E_ILLEGAL_MESSAGE`.
 *
 * @module
 */

import {
  alertName,
  TLS1_ALERT_BAD_CERTIFICATE,
  TLS1_ALERT_BAD_RECORD_MAC,
  TLS1_ALERT_CERTIFICATE_EXPIRED,
  TLS1_ALERT_CERTIFICATE_REQUIRED,
  TLS1_ALERT_CERTIFICATE_UNKNOWN,
  TLS1_ALERT_DECODE_ERROR,
  TLS1_ALERT_DECRYPT_ERROR,
  TLS1_ALERT_HANDSHAKE_FAILURE,
  TLS1_ALERT_ILLEGAL_PARAMETER,
  TLS1_ALERT_MISSING_EXTENSION,
  TLS1_ALERT_NO_APP_PROTOCOL,
  TLS1_ALERT_PROTOCOL_VERSION,
  TLS1_ALERT_RECORD_OVERFLOW,
  TLS1_ALERT_UNEXPECTED_MESSAGE,
  TLS1_ALERT_UNKNOWN_CA,
} from "../../sspi/schannel-constants.js";
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_APPLICATION_PROTOCOL_MISMATCH,
  SEC_E_CERT_EXPIRED,
  SEC_E_CERT_UNKNOWN,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_OK,
  SEC_E_UNTRUSTED_ROOT,
  SEC_E_WRONG_PRINCIPAL,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import type { RecordHeaderError } from "../records/record-header.js";
import type { AlertRef } from "../tls-alert.js";

/** A failure translated to SSPI terms. */
export interface EngineFailure {
  status: SECURITY_STATUS;
  /** The alert the local side sends (or OpenSSL sent), or the one received. */
  alert?: AlertRef;
  reason: string;
}

interface OpensslMapping {
  status: SECURITY_STATUS;
  alert?: number;
}

const OPENSSL_ERRORS: Readonly<Record<string, OpensslMapping>> = {
  ERR_SSL_NO_APPLICATION_PROTOCOL: {
    status: SEC_E_APPLICATION_PROTOCOL_MISMATCH,
    alert: TLS1_ALERT_NO_APP_PROTOCOL,
  },
  ERR_SSL_NO_SHARED_CIPHER: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_HANDSHAKE_FAILURE },
  ERR_SSL_NO_SUITABLE_KEY_SHARE: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_HANDSHAKE_FAILURE },
  ERR_SSL_NO_SHARED_GROUPS: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_HANDSHAKE_FAILURE },
  ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS: {
    status: SEC_E_ALGORITHM_MISMATCH,
    alert: TLS1_ALERT_HANDSHAKE_FAILURE,
  },
  ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM: {
    status: SEC_E_ALGORITHM_MISMATCH,
    alert: TLS1_ALERT_HANDSHAKE_FAILURE,
  },
  ERR_SSL_NO_CIPHERS_AVAILABLE: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_HANDSHAKE_FAILURE },
  ERR_SSL_WRONG_CURVE: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_ILLEGAL_PARAMETER },
  ERR_SSL_WRONG_CIPHER_RETURNED: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_ILLEGAL_PARAMETER },
  ERR_SSL_UNSUPPORTED_PROTOCOL: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_PROTOCOL_VERSION },
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: { status: SEC_E_ALGORITHM_MISMATCH, alert: TLS1_ALERT_PROTOCOL_VERSION },
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: { status: SEC_E_ILLEGAL_MESSAGE },
  ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC: {
    status: SEC_E_MESSAGE_ALTERED,
    alert: TLS1_ALERT_BAD_RECORD_MAC,
  },
  ERR_SSL_BAD_RECORD_MAC: { status: SEC_E_MESSAGE_ALTERED, alert: TLS1_ALERT_BAD_RECORD_MAC },
  ERR_SSL_DIGEST_CHECK_FAILED: { status: SEC_E_MESSAGE_ALTERED, alert: TLS1_ALERT_DECRYPT_ERROR },
  ERR_SSL_BAD_SIGNATURE: { status: SEC_E_MESSAGE_ALTERED, alert: TLS1_ALERT_DECRYPT_ERROR },
  ERR_SSL_RECORD_OVERFLOW: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_RECORD_OVERFLOW },
  ERR_SSL_ENCRYPTED_LENGTH_TOO_LONG: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_RECORD_OVERFLOW },
  ERR_SSL_DATA_LENGTH_TOO_LONG: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_RECORD_OVERFLOW },
  ERR_SSL_PACKET_LENGTH_TOO_LONG: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_RECORD_OVERFLOW },
  ERR_SSL_UNEXPECTED_MESSAGE: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_UNEXPECTED_MESSAGE },
  ERR_SSL_UNEXPECTED_RECORD: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_UNEXPECTED_MESSAGE },
  ERR_SSL_UNEXPECTED_CCS_MESSAGE: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_UNEXPECTED_MESSAGE },
  ERR_SSL_CCS_RECEIVED_EARLY: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_UNEXPECTED_MESSAGE },
  ERR_SSL_HTTP_REQUEST: { status: SEC_E_ILLEGAL_MESSAGE },
  ERR_SSL_WRONG_VERSION_NUMBER: { status: SEC_E_ILLEGAL_MESSAGE },
  ERR_SSL_LENGTH_MISMATCH: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_DECODE_ERROR },
  ERR_SSL_BAD_PACKET_LENGTH: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_DECODE_ERROR },
  ERR_SSL_BAD_LENGTH: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_DECODE_ERROR },
  ERR_SSL_BAD_EXTENSION: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_DECODE_ERROR },
  ERR_SSL_MISSING_SIGALGS_EXTENSION: { status: SEC_E_ILLEGAL_MESSAGE, alert: TLS1_ALERT_MISSING_EXTENSION },
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: {
    status: SEC_E_MUTUAL_AUTH_FAILED,
    alert: TLS1_ALERT_CERTIFICATE_REQUIRED,
  },
};

/** Alert descriptions by the upper-case suffix of Node's `ERR_SSL_*_ALERT_<NAME>` codes. */
const ALERT_BY_CODE_SUFFIX: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  for (let d = 0; d < 256; d++) {
    const name = alertName(d);
    if (!name.startsWith("alert(")) map.set(name.toUpperCase(), d);
  }
  map.set("DECOMPRESSION_FAILURE", 30);
  map.set("UNSUPPORTED_CERTIFICATE", 43);
  map.set("UNSUPPORTED_EXTENSION", 110);
  map.set("NO_APPLICATION_PROTOCOL", TLS1_ALERT_NO_APP_PROTOCOL);
  return map;
})();

/** @returns the alert description named by a Node `ERR_SSL_..._ALERT_<NAME>` code, or `undefined`. */
export function receivedAlertFromCode(code: string): number | undefined {
  const at = code.indexOf("_ALERT_");
  if (at < 0) return undefined;
  return ALERT_BY_CODE_SUFFIX.get(code.slice(at + "_ALERT_".length));
}

/**
 * Translates an error the engine (OpenSSL through Node) raised.
 *
 * @returns the status (`SEC_E_APPLICATION_PROTOCOL_MISMATCH`, `SEC_E_ALGORITHM_MISMATCH`,
 *   `SEC_E_MESSAGE_ALTERED`, `SEC_E_MUTUAL_AUTH_FAILED`, `SEC_E_ILLEGAL_MESSAGE`), the alert sent
 *   or received when known, and a readable reason.
 */
export function failureFromEngineError(error: unknown): EngineFailure {
  const e = error as { code?: unknown; message?: unknown; reason?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  const reason = code ? `${code}: ${message}` : message;
  const received = receivedAlertFromCode(code);
  if (received !== undefined) {
    return {
      status: SEC_E_ILLEGAL_MESSAGE,
      alert: { description: received, direction: "received" },
      reason: `peer sent fatal alert ${alertName(received)} (${code})`,
    };
  }
  const mapped = OPENSSL_ERRORS[code];
  if (mapped !== undefined) {
    return mapped.alert === undefined
      ? { status: mapped.status, reason }
      : { status: mapped.status, alert: { description: mapped.alert, direction: "sent" }, reason };
  }
  return { status: SEC_E_ILLEGAL_MESSAGE, reason };
}

/** Certificate verification codes and what they map to. */
const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);
const EXPIRED = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
const WRONG_NAME = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH"]);

/**
 * Maps a certificate verification code (OpenSSL `verifyError().code`, or Node's
 * `ERR_TLS_CERT_ALTNAME_INVALID` from `checkServerIdentity`).
 *
 * @returns `SEC_E_OK` for `null`; `SEC_E_UNTRUSTED_ROOT` + unknown_ca (48) for an untrusted or
 *   incomplete chain; `SEC_E_CERT_EXPIRED` + certificate_expired (45); `SEC_E_WRONG_PRINCIPAL` +
 *   bad_certificate (42) for a name mismatch; `SEC_E_MUTUAL_AUTH_FAILED` + certificate_required
 *   (116) for `NO_PEER_CERTIFICATE`; otherwise `SEC_E_CERT_UNKNOWN` + certificate_unknown (46).
 */
export function failureFromCertificateError(code: string | null): {
  status: SECURITY_STATUS;
  alert?: number;
} {
  if (code === null) return { status: SEC_E_OK };
  if (UNTRUSTED.has(code)) return { status: SEC_E_UNTRUSTED_ROOT, alert: TLS1_ALERT_UNKNOWN_CA };
  if (EXPIRED.has(code)) return { status: SEC_E_CERT_EXPIRED, alert: TLS1_ALERT_CERTIFICATE_EXPIRED };
  if (WRONG_NAME.has(code)) return { status: SEC_E_WRONG_PRINCIPAL, alert: TLS1_ALERT_BAD_CERTIFICATE };
  if (code === "NO_PEER_CERTIFICATE")
    return { status: SEC_E_MUTUAL_AUTH_FAILED, alert: TLS1_ALERT_CERTIFICATE_REQUIRED };
  return { status: SEC_E_CERT_UNKNOWN, alert: TLS1_ALERT_CERTIFICATE_UNKNOWN };
}

/**
 * Maps an invalid record header found by the engine's own framing.
 *
 * @returns `SEC_E_ILLEGAL_MESSAGE` with unexpected_message (10) for an unknown content type,
 *   decode_error (50) for a bad version, record_overflow (22) for an oversize length.
 */
export function failureFromRecordHeader(error: RecordHeaderError): EngineFailure {
  const alert =
    error === "bad_content_type"
      ? TLS1_ALERT_UNEXPECTED_MESSAGE
      : error === "bad_version"
        ? TLS1_ALERT_DECODE_ERROR
        : TLS1_ALERT_RECORD_OVERFLOW;
  const what =
    error === "bad_content_type"
      ? "input is not a TLS record (unknown content type)"
      : error === "bad_version"
        ? "input is not a TLS record (record version is not 3.x)"
        : "record longer than 2^14+256 bytes";
  return { status: SEC_E_ILLEGAL_MESSAGE, alert: { description: alert, direction: "sent" }, reason: what };
}
