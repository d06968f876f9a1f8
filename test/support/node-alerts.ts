/**
 * Node's error codes for a TLS alert its peer (OpenSSL) received. Node spells `ERR_SSL_` plus
 * OpenSSL's reason string; OpenSSL after 3.0 renamed the reasons of the alerts SSLv3 defined
 * from "sslv3 alert …" to "ssl/tls alert …", so Node 20 (OpenSSL 3.0) reports
 * `ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC` where Node 24 (OpenSSL 3.5) reports
 * `ERR_SSL_SSL/TLS_ALERT_BAD_RECORD_MAC`. Both name the same alert; nothing else is accepted.
 *
 * @module
 */

/** Reason-name suffixes by alert description, with the prefix family OpenSSL files them under. */
const ALERTS: Readonly<Record<number, { family: "sslv3" | "tlsv1" | "tlsv13"; name: string }>> = {
  10: { family: "sslv3", name: "UNEXPECTED_MESSAGE" },
  20: { family: "sslv3", name: "BAD_RECORD_MAC" },
  22: { family: "tlsv1", name: "RECORD_OVERFLOW" },
  30: { family: "sslv3", name: "DECOMPRESSION_FAILURE" },
  40: { family: "sslv3", name: "HANDSHAKE_FAILURE" },
  41: { family: "sslv3", name: "NO_CERTIFICATE" },
  42: { family: "sslv3", name: "BAD_CERTIFICATE" },
  43: { family: "sslv3", name: "UNSUPPORTED_CERTIFICATE" },
  44: { family: "sslv3", name: "CERTIFICATE_REVOKED" },
  45: { family: "sslv3", name: "CERTIFICATE_EXPIRED" },
  46: { family: "sslv3", name: "CERTIFICATE_UNKNOWN" },
  47: { family: "sslv3", name: "ILLEGAL_PARAMETER" },
  48: { family: "tlsv1", name: "UNKNOWN_CA" },
  49: { family: "tlsv1", name: "ACCESS_DENIED" },
  50: { family: "tlsv1", name: "DECODE_ERROR" },
  51: { family: "tlsv1", name: "DECRYPT_ERROR" },
  70: { family: "tlsv1", name: "PROTOCOL_VERSION" },
  71: { family: "tlsv1", name: "INSUFFICIENT_SECURITY" },
  80: { family: "tlsv1", name: "INTERNAL_ERROR" },
  116: { family: "tlsv13", name: "CERTIFICATE_REQUIRED" },
  120: { family: "tlsv1", name: "NO_APPLICATION_PROTOCOL" },
};

/** @returns every spelling Node uses (any OpenSSL 3.x) for a received alert `description`. */
export function nodeAlertCodes(description: number): readonly string[] {
  const alert = ALERTS[description];
  if (alert === undefined) throw new Error(`no Node error code known for alert ${description}`);
  switch (alert.family) {
    case "sslv3":
      return [`ERR_SSL_SSLV3_ALERT_${alert.name}`, `ERR_SSL_SSL/TLS_ALERT_${alert.name}`];
    case "tlsv1":
      return [`ERR_SSL_TLSV1_ALERT_${alert.name}`];
    case "tlsv13":
      return [`ERR_SSL_TLSV13_ALERT_${alert.name}`];
  }
}

/** @returns whether `code` is Node's code for the received alert `description`. */
export function isNodeAlertCode(code: unknown, description: number): boolean {
  return typeof code === "string" && nodeAlertCodes(description).includes(code);
}

/** @returns whether one of `codes` is Node's code for the received alert `description`. */
export function includesNodeAlertCode(codes: readonly string[], description: number): boolean {
  return codes.some((code) => isNodeAlertCode(code, description));
}
