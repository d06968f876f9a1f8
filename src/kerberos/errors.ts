/**
 * The one error type every Kerberos building block throws: a {@link KerberosError} with a `code`
 * saying which kind of failure it is, so callers (the future SSPI package) can map each kind to
 * a status without parsing messages.
 *
 * @module
 */

/** What went wrong, as a stable machine-readable code. */
export type KerberosErrorCode =
  /** Bytes that do not parse: bad DER, a truncated keytab or ccache, a wrong token header. */
  | "ERR_KRB_MALFORMED"
  /** A checksum or HMAC that does not verify (tampered data or the wrong key). */
  | "ERR_KRB_INTEGRITY"
  /** An encryption or checksum type this library does not implement (DES, Camellia, …). */
  | "ERR_KRB_UNSUPPORTED"
  /** A caller's argument that cannot be used (wrong key length, bad iteration count, …). */
  | "ERR_KRB_BAD_ARGUMENT"
  /** The KDC answered with a KRB-ERROR. */
  | "ERR_KRB_KDC"
  /** The KDC could not be reached, or the connection broke or timed out. */
  | "ERR_KRB_TRANSPORT"
  /** A message that parses but breaks a protocol rule (nonce mismatch, wrong sequence number, …). */
  | "ERR_KRB_PROTOCOL"
  /** Channel bindings that do not match the acceptor's (or are missing where required). */
  | "ERR_KRB_BAD_BINDINGS";

/** A Kerberos failure with its {@link KerberosErrorCode}. */
export class KerberosError extends Error {
  override readonly name: string = "KerberosError";

  /** The RFC 4120 §7.5.9 error code this failure corresponds to, when there is one (37 = clock skew, …). */
  readonly krbCode: number | undefined;

  constructor(
    readonly code: KerberosErrorCode,
    message: string,
    options?: { cause?: unknown; krbCode?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.krbCode = options?.krbCode;
  }
}

/** @returns an `ERR_KRB_MALFORMED` error: `what` did not parse, because `why`. */
export function malformed(what: string, why: string): KerberosError {
  return new KerberosError("ERR_KRB_MALFORMED", `malformed ${what}: ${why}`);
}
