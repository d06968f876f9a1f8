/**
 * SECURITY_STATUS codes (winerror.h), as the signed 32-bit values C code sees.
 *
 * `SEC_E_*` values are negative (failures), `SEC_I_*` values are positive (success with
 * information), `SEC_E_OK` is 0. Compare with `===`, test with {@link SUCCEEDED}/{@link FAILED}.
 *
 * @module
 */

/** A `SECURITY_STATUS` (an HRESULT): a signed 32-bit integer. */
export type SECURITY_STATUS = number;

/** An `NTSTATUS` (returned by {@link SspiReinitAsyncContext}): 0 is `STATUS_SUCCESS`. */
export type NTSTATUS = number;

const s = (unsigned: number): SECURITY_STATUS => unsigned | 0;

export const SEC_E_OK = 0;
export const SEC_I_CONTINUE_NEEDED = s(0x00090312);
export const SEC_I_COMPLETE_NEEDED = s(0x00090313);
export const SEC_I_COMPLETE_AND_CONTINUE = s(0x00090314);
export const SEC_I_LOCAL_LOGON = s(0x00090315);
export const SEC_I_GENERIC_EXTENSION_RECEIVED = s(0x00090316);
export const SEC_I_CONTEXT_EXPIRED = s(0x00090317);
export const SEC_I_INCOMPLETE_CREDENTIALS = s(0x00090320);
export const SEC_I_RENEGOTIATE = s(0x00090321);
export const SEC_I_NO_LSA_CONTEXT = s(0x00090323);
export const SEC_I_SIGNATURE_NEEDED = s(0x0009035c);
export const SEC_I_NO_RENEGOTIATION = s(0x00090360);
export const SEC_I_MESSAGE_FRAGMENT = s(0x00090364);
export const SEC_I_CONTINUE_NEEDED_MESSAGE_OK = s(0x00090366);
/** The asynchronous call has not completed yet (returned by {@link SspiGetAsyncCallStatus}). */
export const SEC_I_ASYNC_CALL_PENDING = s(0x00090368);

export const SEC_E_INSUFFICIENT_MEMORY = s(0x80090300);
export const SEC_E_INVALID_HANDLE = s(0x80090301);
export const SEC_E_UNSUPPORTED_FUNCTION = s(0x80090302);
export const SEC_E_TARGET_UNKNOWN = s(0x80090303);
export const SEC_E_INTERNAL_ERROR = s(0x80090304);
export const SEC_E_SECPKG_NOT_FOUND = s(0x80090305);
export const SEC_E_NOT_OWNER = s(0x80090306);
export const SEC_E_CANNOT_INSTALL = s(0x80090307);
export const SEC_E_INVALID_TOKEN = s(0x80090308);
export const SEC_E_CANNOT_PACK = s(0x80090309);
export const SEC_E_QOP_NOT_SUPPORTED = s(0x8009030a);
export const SEC_E_NO_IMPERSONATION = s(0x8009030b);
export const SEC_E_LOGON_DENIED = s(0x8009030c);
export const SEC_E_UNKNOWN_CREDENTIALS = s(0x8009030d);
export const SEC_E_NO_CREDENTIALS = s(0x8009030e);
export const SEC_E_MESSAGE_ALTERED = s(0x8009030f);
export const SEC_E_OUT_OF_SEQUENCE = s(0x80090310);
export const SEC_E_NO_AUTHENTICATING_AUTHORITY = s(0x80090311);
export const SEC_E_BAD_PKGID = s(0x80090316);
export const SEC_E_CONTEXT_EXPIRED = s(0x80090317);
export const SEC_E_INCOMPLETE_MESSAGE = s(0x80090318);
export const SEC_E_INCOMPLETE_CREDENTIALS = s(0x80090320);
export const SEC_E_BUFFER_TOO_SMALL = s(0x80090321);
export const SEC_E_WRONG_PRINCIPAL = s(0x80090322);
export const SEC_E_TIME_SKEW = s(0x80090324);
export const SEC_E_UNTRUSTED_ROOT = s(0x80090325);
export const SEC_E_ILLEGAL_MESSAGE = s(0x80090326);
export const SEC_E_CERT_UNKNOWN = s(0x80090327);
export const SEC_E_CERT_EXPIRED = s(0x80090328);
export const SEC_E_ENCRYPT_FAILURE = s(0x80090329);
export const SEC_E_DECRYPT_FAILURE = s(0x80090330);
export const SEC_E_ALGORITHM_MISMATCH = s(0x80090331);
export const SEC_E_SECURITY_QOS_FAILED = s(0x80090332);
export const SEC_E_UNFINISHED_CONTEXT_DELETED = s(0x80090333);
export const SEC_E_WRONG_CREDENTIAL_HANDLE = s(0x80090336);
export const SEC_E_CRYPTO_SYSTEM_INVALID = s(0x80090337);
export const SEC_E_STRONG_CRYPTO_NOT_SUPPORTED = s(0x8009033a);
export const SEC_E_SHUTDOWN_IN_PROGRESS = s(0x8009033f);
export const SEC_E_UNSUPPORTED_PREAUTH = s(0x80090343);
export const SEC_E_BAD_BINDINGS = s(0x80090346);
export const SEC_E_CERT_WRONG_USAGE = s(0x80090349);
export const SEC_E_DOWNGRADE_DETECTED = s(0x80090350);
export const SEC_E_ISSUING_CA_UNTRUSTED = s(0x80090352);
export const SEC_E_INVALID_PARAMETER = s(0x8009035d);
export const SEC_E_NO_CONTEXT = s(0x80090361);
export const SEC_E_MUTUAL_AUTH_FAILED = s(0x80090363);
export const SEC_E_APPLICATION_PROTOCOL_MISMATCH = s(0x80090367);
export const SEC_E_INVALID_UPN_NAME = s(0x80090369);
export const SEC_E_EXT_BUFFER_TOO_SMALL = s(0x8009036a);
export const SEC_E_INSUFFICIENT_BUFFERS = s(0x8009036b);
/** Alias of {@link SEC_E_INTERNAL_ERROR}. */
export const SEC_E_NO_SPM = SEC_E_INTERNAL_ERROR;
/** Alias of {@link SEC_E_UNSUPPORTED_FUNCTION}. */
export const SEC_E_NOT_SUPPORTED = SEC_E_UNSUPPORTED_FUNCTION;

/** Related non-SEC codes Schannel reports from certificate validation. */
export const CRYPT_E_REVOKED = s(0x80092010);
export const CRYPT_E_NO_REVOCATION_CHECK = s(0x80092012);
export const CRYPT_E_REVOCATION_OFFLINE = s(0x80092013);
export const CERT_E_EXPIRED = s(0x800b0101);
export const CERT_E_UNTRUSTEDROOT = s(0x800b0109);
export const CERT_E_CN_NO_MATCH = s(0x800b010f);
export const CERT_E_CHAINING = s(0x800b010a);

/** NTSTATUS values returned by {@link SspiReinitAsyncContext}. */
export const STATUS_SUCCESS = 0;
/** NTSTATUS: the async context is invalid (freed or not an async context). */
export const STATUS_INVALID_HANDLE = s(0xc0000008);
/** NTSTATUS: the async context still has a call in progress. */
export const STATUS_INVALID_DEVICE_STATE = s(0xc0000184);

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries({
    SEC_E_OK,
    SEC_I_CONTINUE_NEEDED,
    SEC_I_COMPLETE_NEEDED,
    SEC_I_COMPLETE_AND_CONTINUE,
    SEC_I_LOCAL_LOGON,
    SEC_I_GENERIC_EXTENSION_RECEIVED,
    SEC_I_CONTEXT_EXPIRED,
    SEC_I_INCOMPLETE_CREDENTIALS,
    SEC_I_RENEGOTIATE,
    SEC_I_NO_LSA_CONTEXT,
    SEC_I_SIGNATURE_NEEDED,
    SEC_I_NO_RENEGOTIATION,
    SEC_I_MESSAGE_FRAGMENT,
    SEC_I_CONTINUE_NEEDED_MESSAGE_OK,
    SEC_I_ASYNC_CALL_PENDING,
    SEC_E_INSUFFICIENT_MEMORY,
    SEC_E_INVALID_HANDLE,
    SEC_E_UNSUPPORTED_FUNCTION,
    SEC_E_TARGET_UNKNOWN,
    SEC_E_INTERNAL_ERROR,
    SEC_E_SECPKG_NOT_FOUND,
    SEC_E_NOT_OWNER,
    SEC_E_CANNOT_INSTALL,
    SEC_E_INVALID_TOKEN,
    SEC_E_CANNOT_PACK,
    SEC_E_QOP_NOT_SUPPORTED,
    SEC_E_NO_IMPERSONATION,
    SEC_E_LOGON_DENIED,
    SEC_E_UNKNOWN_CREDENTIALS,
    SEC_E_NO_CREDENTIALS,
    SEC_E_MESSAGE_ALTERED,
    SEC_E_OUT_OF_SEQUENCE,
    SEC_E_NO_AUTHENTICATING_AUTHORITY,
    SEC_E_BAD_PKGID,
    SEC_E_CONTEXT_EXPIRED,
    SEC_E_INCOMPLETE_MESSAGE,
    SEC_E_INCOMPLETE_CREDENTIALS,
    SEC_E_BUFFER_TOO_SMALL,
    SEC_E_WRONG_PRINCIPAL,
    SEC_E_TIME_SKEW,
    SEC_E_UNTRUSTED_ROOT,
    SEC_E_ILLEGAL_MESSAGE,
    SEC_E_CERT_UNKNOWN,
    SEC_E_CERT_EXPIRED,
    SEC_E_ENCRYPT_FAILURE,
    SEC_E_DECRYPT_FAILURE,
    SEC_E_ALGORITHM_MISMATCH,
    SEC_E_SECURITY_QOS_FAILED,
    SEC_E_UNFINISHED_CONTEXT_DELETED,
    SEC_E_WRONG_CREDENTIAL_HANDLE,
    SEC_E_CRYPTO_SYSTEM_INVALID,
    SEC_E_STRONG_CRYPTO_NOT_SUPPORTED,
    SEC_E_SHUTDOWN_IN_PROGRESS,
    SEC_E_UNSUPPORTED_PREAUTH,
    SEC_E_BAD_BINDINGS,
    SEC_E_CERT_WRONG_USAGE,
    SEC_E_DOWNGRADE_DETECTED,
    SEC_E_ISSUING_CA_UNTRUSTED,
    SEC_E_INVALID_PARAMETER,
    SEC_E_NO_CONTEXT,
    SEC_E_MUTUAL_AUTH_FAILED,
    SEC_E_APPLICATION_PROTOCOL_MISMATCH,
    SEC_E_INVALID_UPN_NAME,
    SEC_E_EXT_BUFFER_TOO_SMALL,
    SEC_E_INSUFFICIENT_BUFFERS,
    CRYPT_E_REVOKED,
    CRYPT_E_NO_REVOCATION_CHECK,
    CRYPT_E_REVOCATION_OFFLINE,
    CERT_E_EXPIRED,
    CERT_E_UNTRUSTEDROOT,
    CERT_E_CN_NO_MATCH,
    CERT_E_CHAINING,
  }).map(([name, value]) => [value, name] as const),
);

/** True when `status` is a success code (`SEC_E_OK` or any `SEC_I_*`), like C's `SUCCEEDED()`. */
export function SUCCEEDED(status: SECURITY_STATUS): boolean {
  return (status | 0) >= 0;
}

/** True when `status` is a failure code (`SEC_E_*`), like C's `FAILED()`. */
export function FAILED(status: SECURITY_STATUS): boolean {
  return (status | 0) < 0;
}

/** The symbolic name of a status (`"SEC_E_UNTRUSTED_ROOT"`), or `undefined` if it is not a known code. */
export function statusName(status: SECURITY_STATUS): string | undefined {
  return NAMES.get(status | 0);
}

/** The status as 8 hex digits of its unsigned value: `0x80090325`. */
export function statusHex(status: SECURITY_STATUS): string {
  return `0x${(status >>> 0).toString(16).padStart(8, "0")}`;
}

/**
 * Names any status: `SEC_E_UNTRUSTED_ROOT (0x80090325)`. Unknown values format as their hex
 * value alone (`0x12345678`).
 */
export function formatStatus(status: SECURITY_STATUS): string {
  const name = statusName(status);
  return name === undefined ? statusHex(status) : `${name} (${statusHex(status)})`;
}
