/**
 * Which SSPI status a Kerberos failure becomes, with the reason to report — the table the
 * Kerberos package will use when it is wired in. Based on the error kind (`KerberosError.code`)
 * and, where there is one, the RFC 4120 error code (the KDC's, or the one an acceptor would send).
 * The KRB-ERROR → SEC_E pairs follow pyspnego's and sspi-rs's conventions; Windows' exact choice
 * is not verified for every code.
 *
 * @module
 */
import {
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_BAD_BINDINGS,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_MUTUAL_AUTH_FAILED,
  SEC_E_NO_AUTHENTICATING_AUTHORITY,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_E_TARGET_UNKNOWN,
  SEC_E_TIME_SKEW,
  SEC_E_UNSUPPORTED_PREAUTH,
  SEC_E_WRONG_PRINCIPAL,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import { KdcError } from "./client/kdc-error.js";
import { KerberosError } from "./errors.js";

/** RFC 4120 error code → status, for codes whose meaning is clear. */
const BY_KRB_CODE: ReadonlyMap<number, SECURITY_STATUS> = new Map([
  [6, SEC_E_LOGON_DENIED], // KDC_ERR_C_PRINCIPAL_UNKNOWN
  [7, SEC_E_TARGET_UNKNOWN], // KDC_ERR_S_PRINCIPAL_UNKNOWN
  [14, SEC_E_ALGORITHM_MISMATCH], // KDC_ERR_ETYPE_NOSUPP
  [16, SEC_E_UNSUPPORTED_PREAUTH], // KDC_ERR_PADATA_TYPE_NOSUPP
  [18, SEC_E_LOGON_DENIED], // KDC_ERR_CLIENT_REVOKED
  [23, SEC_E_LOGON_DENIED], // KDC_ERR_KEY_EXPIRED (password expired)
  [24, SEC_E_LOGON_DENIED], // KDC_ERR_PREAUTH_FAILED (wrong password)
  [31, SEC_E_MESSAGE_ALTERED], // KRB_AP_ERR_BAD_INTEGRITY
  [32, SEC_E_CONTEXT_EXPIRED], // KRB_AP_ERR_TKT_EXPIRED
  [33, SEC_E_TIME_SKEW], // KRB_AP_ERR_TKT_NYV
  [34, SEC_E_LOGON_DENIED], // KRB_AP_ERR_REPEAT (replayed authenticator)
  [35, SEC_E_WRONG_PRINCIPAL], // KRB_AP_ERR_NOT_US
  [36, SEC_E_LOGON_DENIED], // KRB_AP_ERR_BADMATCH
  [37, SEC_E_TIME_SKEW], // KRB_AP_ERR_SKEW
  [41, SEC_E_MESSAGE_ALTERED], // KRB_AP_ERR_MODIFIED
  [42, SEC_E_OUT_OF_SEQUENCE], // KRB_AP_ERR_BADORDER
  [45, SEC_E_NO_CREDENTIALS], // KRB_AP_ERR_NOKEY
  [46, SEC_E_MUTUAL_AUTH_FAILED], // KRB_AP_ERR_MUT_FAIL
  [50, SEC_E_INVALID_TOKEN], // KRB_AP_ERR_INAPP_CKSUM
  [68, SEC_E_NO_AUTHENTICATING_AUTHORITY], // KDC_ERR_WRONG_REALM
]);

export interface MappedStatus {
  readonly status: SECURITY_STATUS;
  /** The error's message: what `SspiGetLastErrorInfo` should say. */
  readonly reason: string;
}

/** The status and reason for any error a Kerberos building block threw. */
export function statusForKerberosError(error: unknown): MappedStatus {
  if (!(error instanceof KerberosError)) {
    return { status: SEC_E_INTERNAL_ERROR, reason: error instanceof Error ? error.message : String(error) };
  }
  const reason = error.message;
  const byCode = error.krbCode === undefined ? undefined : BY_KRB_CODE.get(error.krbCode);
  const byKdc = error instanceof KdcError ? BY_KRB_CODE.get(error.errorCode) : undefined;
  switch (error.code) {
    case "ERR_KRB_KDC":
      return { status: byKdc ?? SEC_E_LOGON_DENIED, reason };
    case "ERR_KRB_TRANSPORT":
      return { status: SEC_E_NO_AUTHENTICATING_AUTHORITY, reason };
    case "ERR_KRB_MALFORMED":
      return { status: SEC_E_INVALID_TOKEN, reason };
    case "ERR_KRB_INTEGRITY":
      return { status: byCode ?? SEC_E_MESSAGE_ALTERED, reason };
    case "ERR_KRB_BAD_BINDINGS":
      return { status: SEC_E_BAD_BINDINGS, reason };
    case "ERR_KRB_UNSUPPORTED":
      return { status: SEC_E_ALGORITHM_MISMATCH, reason };
    case "ERR_KRB_BAD_ARGUMENT":
      return { status: byCode ?? SEC_E_INVALID_PARAMETER, reason };
    case "ERR_KRB_PROTOCOL":
      return { status: byCode ?? SEC_E_INVALID_TOKEN, reason };
  }
}
