/**
 * A KRB-ERROR from the KDC as an exception: `ERR_KRB_KDC` with the error code and its RFC name
 * (`KDC_ERR_PREAUTH_FAILED (24)`), the KDC's e-text and the decoded message.
 *
 * @module
 */
import { krbErrorName } from "../asn1/constants.js";
import type { KrbError } from "../asn1/krb-error.js";
import { KerberosError } from "../errors.js";

export class KdcError extends KerberosError {
  override readonly name = "KdcError";
  /** RFC 4120 §7.5.9 error code. */
  readonly errorCode: number;

  constructor(
    readonly krbError: KrbError,
    context: string,
  ) {
    super(
      "ERR_KRB_KDC",
      `${context}: KDC answered ${krbErrorName(krbError.errorCode)}${krbError.eText ? ` "${krbError.eText}"` : ""}`,
    );
    this.errorCode = krbError.errorCode;
  }
}
