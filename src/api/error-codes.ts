/**
 * The `code` a {@link TlsError} carries: Node's (OpenSSL's) name for the same failure, so code
 * written for `tls` (`if (err.code === "ERR_TLS_CERT_ALTNAME_INVALID")`) keeps working.
 *
 * | failure | `code` |
 * |---|---|
 * | untrusted chain (`SEC_E_UNTRUSTED_ROOT`) | the OpenSSL verify code named in the reason, else `UNABLE_TO_VERIFY_LEAF_SIGNATURE` |
 * | expired / not yet valid (`SEC_E_CERT_EXPIRED`) | `CERT_HAS_EXPIRED` / `CERT_NOT_YET_VALID` |
 * | name mismatch (`SEC_E_WRONG_PRINCIPAL`) | `ERR_TLS_CERT_ALTNAME_INVALID` |
 * | revoked (`CRYPT_E_REVOKED`) | `CERT_REVOKED` |
 * | no revocation data (`CRYPT_E_NO_REVOCATION_CHECK`) | `UNABLE_TO_GET_CRL` (or the code named in the reason) |
 * | stale revocation data (`CRYPT_E_REVOCATION_OFFLINE`) | `CRL_HAS_EXPIRED` / `CRL_NOT_YET_VALID` / `OCSP_VERIFY_NEEDED` |
 * | client sent no certificate (`SEC_E_MUTUAL_AUTH_FAILED`) | `ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE` |
 * | record failed authentication (`SEC_E_MESSAGE_ALTERED`, `SEC_E_DECRYPT_FAILURE`) | `ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC` |
 * | nothing in common (`SEC_E_ALGORITHM_MISMATCH`) | `ERR_SSL_NO_PROTOCOLS_AVAILABLE` |
 * | a fatal alert from the peer | `ERR_SSL_SSLV3_ALERT_*` / `ERR_SSL_TLSV1_ALERT_*` / `ERR_SSL_TLSV13_ALERT_*` (OpenSSL's names) |
 * | the peer does not speak TLS | `ERR_SSL_HTTP_REQUEST` (server, an HTTP request), else `ERR_SSL_WRONG_VERSION_NUMBER` |
 * | the transport ended during the handshake | `ECONNRESET` (as Node) |
 * | anything else | `ERR_SSPI_` + the status name (`ERR_SSPI_SEC_E_INTERNAL_ERROR`) |
 *
 * @module
 */
import type { SspiError } from "../sspi/sspi-error.js";
import {
  CRYPT_E_NO_REVOCATION_CHECK,
  CRYPT_E_REVOCATION_OFFLINE,
  CRYPT_E_REVOKED,
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_CERT_EXPIRED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_UNTRUSTED_ROOT,
  SEC_E_WRONG_PRINCIPAL,
} from "../sspi/status.js";

/** OpenSSL's verify codes for an untrusted chain, as Node reports them. */
const VERIFY_CODES = [
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_REVOKED",
];

/** OpenSSL's verify codes for revocation data that is missing or stale. */
const REVOCATION_CODES = [
  "UNABLE_TO_GET_CRL_ISSUER",
  "UNABLE_TO_GET_CRL",
  "OCSP_CERT_UNKNOWN",
  "CRL_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "OCSP_VERIFY_NEEDED",
];

/** Alerts that already existed in SSLv3 (OpenSSL names them `SSLV3_ALERT_*`). */
const SSLV3_ALERTS = new Set([
  "unexpected_message",
  "bad_record_mac",
  "decompression_failure",
  "handshake_failure",
  "no_certificate",
  "bad_certificate",
  "unsupported_certificate",
  "certificate_revoked",
  "certificate_expired",
  "certificate_unknown",
  "illegal_parameter",
]);
/** Alerts new in TLS 1.3 (`TLSV13_ALERT_*`). */
const TLS13_ALERTS = new Set(["missing_extension", "certificate_required"]);

/** OpenSSL's error code for a fatal alert received, e.g. `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`. */
export function alertCode(name: string): string {
  const family = SSLV3_ALERTS.has(name) ? "SSLV3" : TLS13_ALERTS.has(name) ? "TLSV13" : "TLSV1";
  return `ERR_SSL_${family}_ALERT_${name.toUpperCase()}`;
}

/** Node's `code` for an SSPI failure of the TLS package (see the module table). */
export function nodeCodeOf(error: SspiError): string {
  const reason = error.reason ?? "";
  if (error.alertReceived) return alertCode(error.alertReceived.name);
  switch (error.status) {
    case SEC_E_UNTRUSTED_ROOT:
    case SEC_E_CERT_EXPIRED: {
      const named = VERIFY_CODES.find((code) => reason.includes(code));
      if (named) return named;
      if (error.status === SEC_E_CERT_EXPIRED)
        return /not yet valid/i.test(reason) ? "CERT_NOT_YET_VALID" : "CERT_HAS_EXPIRED";
      return "UNABLE_TO_VERIFY_LEAF_SIGNATURE";
    }
    case SEC_E_WRONG_PRINCIPAL:
      return "ERR_TLS_CERT_ALTNAME_INVALID";
    case CRYPT_E_REVOKED:
      return "CERT_REVOKED";
    case CRYPT_E_NO_REVOCATION_CHECK:
      return REVOCATION_CODES.find((code) => reason.includes(code)) ?? "UNABLE_TO_GET_CRL";
    case CRYPT_E_REVOCATION_OFFLINE:
      return REVOCATION_CODES.find((code) => reason.includes(code)) ?? "CRL_HAS_EXPIRED";
    case SEC_E_MUTUAL_AUTH_FAILED:
      return "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE";
    case SEC_E_MESSAGE_ALTERED:
    case SEC_E_DECRYPT_FAILURE:
      return "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC";
    case SEC_E_ALGORITHM_MISMATCH:
      return "ERR_SSL_NO_PROTOCOLS_AVAILABLE";
  }
  return `ERR_SSPI_${error.statusName}`;
}
