/**
 * OpenSSL's certificate verification results (`X509_V_ERR_*` numbers, as the verify callback and
 * `SSL_get_verify_result` report them) under the names Node uses for them, so the native engine
 * maps them to statuses through the same table as the first engine (`engine-errors.ts`).
 *
 * @module
 */
import {
  TLS1_ALERT_BAD_CERTIFICATE,
  TLS1_ALERT_CERTIFICATE_EXPIRED,
  TLS1_ALERT_CERTIFICATE_REVOKED,
  TLS1_ALERT_CERTIFICATE_UNKNOWN,
  TLS1_ALERT_UNKNOWN_CA,
} from "../../sspi/schannel-constants.js";
import {
  CRYPT_E_NO_REVOCATION_CHECK,
  CRYPT_E_REVOCATION_OFFLINE,
  CRYPT_E_REVOKED,
  SEC_E_WRONG_PRINCIPAL,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import { failureFromCertificateError } from "../engine/engine-errors.js";

/** `X509_V_ERR_*` numbers (OpenSSL 3.0 `x509_vfy.h`) → Node's `verifyError` codes. */
const VERIFY_CODES: ReadonlyMap<number, string> = new Map([
  [2, "UNABLE_TO_GET_ISSUER_CERT"],
  [3, "UNABLE_TO_GET_CRL"],
  [4, "UNABLE_TO_DECRYPT_CERT_SIGNATURE"],
  [5, "UNABLE_TO_DECRYPT_CRL_SIGNATURE"],
  [6, "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY"],
  [7, "CERT_SIGNATURE_FAILURE"],
  [8, "CRL_SIGNATURE_FAILURE"],
  [9, "CERT_NOT_YET_VALID"],
  [10, "CERT_HAS_EXPIRED"],
  [11, "CRL_NOT_YET_VALID"],
  [12, "CRL_HAS_EXPIRED"],
  [13, "ERROR_IN_CERT_NOT_BEFORE_FIELD"],
  [14, "ERROR_IN_CERT_NOT_AFTER_FIELD"],
  [15, "ERROR_IN_CRL_LAST_UPDATE_FIELD"],
  [16, "ERROR_IN_CRL_NEXT_UPDATE_FIELD"],
  [17, "OUT_OF_MEM"],
  [18, "DEPTH_ZERO_SELF_SIGNED_CERT"],
  [19, "SELF_SIGNED_CERT_IN_CHAIN"],
  [20, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"],
  [21, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
  [22, "CERT_CHAIN_TOO_LONG"],
  [23, "CERT_REVOKED"],
  [24, "INVALID_CA"],
  [25, "PATH_LENGTH_EXCEEDED"],
  [26, "INVALID_PURPOSE"],
  [27, "CERT_UNTRUSTED"],
  [28, "CERT_REJECTED"],
  [62, "HOSTNAME_MISMATCH"],
  [63, "EMAIL_MISMATCH"],
  [64, "IP_ADDRESS_MISMATCH"],
  [73, "OCSP_VERIFY_NEEDED"],
  [74, "OCSP_VERIFY_FAILED"],
  [75, "OCSP_CERT_UNKNOWN"],
]);

/** Revocation results (`X509_V_ERR_*`), as the verify callback and the stapled-OCSP check report them. */
export const X509_V_ERR_UNABLE_TO_GET_CRL = 3;
export const X509_V_ERR_CRL_NOT_YET_VALID = 11;
export const X509_V_ERR_CRL_HAS_EXPIRED = 12;
export const X509_V_ERR_CERT_REVOKED = 23;
export const X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER = 33;
/** The stapled OCSP response is outside its thisUpdate/nextUpdate window (a fresh one is needed). */
export const X509_V_ERR_OCSP_VERIFY_NEEDED = 73;
/** The stapled OCSP response is unusable: not successful, badly signed, or about another certificate. */
export const X509_V_ERR_OCSP_VERIFY_FAILED = 74;
/** The stapled OCSP response says `unknown`. */
export const X509_V_ERR_OCSP_CERT_UNKNOWN = 75;

/**
 * Revocation results and the statuses Schannel reports for them (Windows returns the CryptoAPI
 * codes from InitializeSecurityContext/AcceptSecurityContext), with the alert OpenSSL's mapping
 * sends for CRL failures (a stapled-response failure sends bad_certificate_status_response).
 */
const REVOCATION_VERDICTS: ReadonlyMap<number, { status: SECURITY_STATUS; alert: number }> = new Map([
  [X509_V_ERR_CERT_REVOKED, { status: CRYPT_E_REVOKED, alert: TLS1_ALERT_CERTIFICATE_REVOKED }],
  [X509_V_ERR_UNABLE_TO_GET_CRL, { status: CRYPT_E_NO_REVOCATION_CHECK, alert: TLS1_ALERT_UNKNOWN_CA }],
  [
    X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
    { status: CRYPT_E_NO_REVOCATION_CHECK, alert: TLS1_ALERT_UNKNOWN_CA },
  ],
  [
    X509_V_ERR_OCSP_CERT_UNKNOWN,
    { status: CRYPT_E_NO_REVOCATION_CHECK, alert: TLS1_ALERT_CERTIFICATE_UNKNOWN },
  ],
  [X509_V_ERR_CRL_HAS_EXPIRED, { status: CRYPT_E_REVOCATION_OFFLINE, alert: TLS1_ALERT_CERTIFICATE_EXPIRED }],
  [
    X509_V_ERR_CRL_NOT_YET_VALID,
    { status: CRYPT_E_REVOCATION_OFFLINE, alert: TLS1_ALERT_CERTIFICATE_EXPIRED },
  ],
  [
    X509_V_ERR_OCSP_VERIFY_NEEDED,
    { status: CRYPT_E_REVOCATION_OFFLINE, alert: TLS1_ALERT_CERTIFICATE_UNKNOWN },
  ],
]);

const UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;
const UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21;

/**
 * The verification result OpenSSL settles on — what `SSL_get_verify_result` and Node's `tls`
 * report — from the first error the verify callback saw. A lone leaf whose issuer is unknown is
 * first reported by chain building as `UNABLE_TO_GET_ISSUER_CERT_LOCALLY` at depth 0 and then,
 * when verification goes on, by OpenSSL's signature check as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`
 * (the verdict Node gives); an enforcing callback stops at the first, so that one is translated.
 *
 * @returns the settled `X509_V_ERR_*` number.
 */
export function settledVerifyResult(first: number, depth: number): number {
  return first === UNABLE_TO_GET_ISSUER_CERT_LOCALLY && depth === 0 ? UNABLE_TO_VERIFY_LEAF_SIGNATURE : first;
}

/** @returns Node's name of a verification result; `null` for `X509_V_OK` (0). */
export function verifyCodeName(result: number): string | null {
  if (result === 0) return null;
  return VERIFY_CODES.get(result) ?? `X509_V_ERR_${result}`;
}

/**
 * Maps a verification result number to its status and the alert Schannel sends for it.
 *
 * @returns the code name, `SEC_E_OK` for 0, otherwise `SEC_E_UNTRUSTED_ROOT`,
 *   `SEC_E_CERT_EXPIRED`, `SEC_E_WRONG_PRINCIPAL` (host or IP mismatch), `CRYPT_E_REVOKED`,
 *   `CRYPT_E_NO_REVOCATION_CHECK`, `CRYPT_E_REVOCATION_OFFLINE`, `SEC_E_CERT_UNKNOWN` (an
 *   unusable stapled OCSP response among others).
 */
export function certificateVerdict(result: number): {
  verifyError: string | null;
  status: SECURITY_STATUS;
  alert?: number;
} {
  const code = verifyCodeName(result);
  const revocation = REVOCATION_VERDICTS.get(result);
  if (revocation !== undefined) return { verifyError: code, ...revocation };
  if (code === "IP_ADDRESS_MISMATCH")
    return { verifyError: code, status: SEC_E_WRONG_PRINCIPAL, alert: TLS1_ALERT_BAD_CERTIFICATE };
  return { verifyError: code, ...failureFromCertificateError(code) };
}
