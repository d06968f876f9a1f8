/**
 * Schannel constants (schannel.h): package names, `SCH_CREDENTIALS` versions and flags,
 * `SP_PROT_*` protocol bits, control tokens for ApplyControlToken, TLS alert numbers and
 * `CRYPTO_SETTINGS` usages.
 *
 * @module
 */

export const UNISP_NAME = "Microsoft Unified Security Protocol Provider";
export const SCHANNEL_NAME = "Schannel";
export const DEFAULT_TLS_SSP_NAME = "Default TLS SSP";
export const UNISP_RPC_ID = 14;

export const SCH_CRED_V1 = 1;
export const SCH_CRED_V2 = 2;
export const SCH_CRED_VERSION = 2;
export const SCH_CRED_V3 = 3;
export const SCHANNEL_CRED_VERSION = 4;
export const SCH_CREDENTIALS_VERSION = 5;
export const SCH_CRED_MAX_SUPPORTED_PARAMETERS = 16;

export const SCH_CRED_FORMAT_CERT_CONTEXT = 0;
export const SCH_CRED_FORMAT_CERT_HASH = 1;
export const SCH_CRED_FORMAT_CERT_HASH_STORE = 2;

export const SCH_CRED_NO_SYSTEM_MAPPER = 0x00000002;
export const SCH_CRED_NO_SERVERNAME_CHECK = 0x00000004;
export const SCH_CRED_MANUAL_CRED_VALIDATION = 0x00000008;
export const SCH_CRED_NO_DEFAULT_CREDS = 0x00000010;
export const SCH_CRED_AUTO_CRED_VALIDATION = 0x00000020;
export const SCH_CRED_USE_DEFAULT_CREDS = 0x00000040;
export const SCH_CRED_DISABLE_RECONNECTS = 0x00000080;
/** The documentation's spelling of {@link SCH_CRED_DISABLE_RECONNECTS}. */
export const SCH_DISABLE_RECONNECTS = SCH_CRED_DISABLE_RECONNECTS;
export const SCH_CRED_REVOCATION_CHECK_END_CERT = 0x00000100;
export const SCH_CRED_REVOCATION_CHECK_CHAIN = 0x00000200;
export const SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT = 0x00000400;
export const SCH_CRED_IGNORE_NO_REVOCATION_CHECK = 0x00000800;
export const SCH_CRED_IGNORE_REVOCATION_OFFLINE = 0x00001000;
export const SCH_CRED_RESTRICTED_ROOTS = 0x00002000;
export const SCH_CRED_REVOCATION_CHECK_CACHE_ONLY = 0x00004000;
export const SCH_CRED_CACHE_ONLY_URL_RETRIEVAL = 0x00008000;
export const SCH_CRED_MEMORY_STORE_CERT = 0x00010000;
export const SCH_CRED_CACHE_ONLY_URL_RETRIEVAL_ON_CREATE = 0x00020000;
export const SCH_SEND_ROOT_CERT = 0x00040000;
export const SCH_CRED_SNI_CREDENTIAL = 0x00080000;
export const SCH_CRED_SNI_ENABLE_OCSP = 0x00100000;
export const SCH_SEND_AUX_RECORD = 0x00200000;
export const SCH_USE_STRONG_CRYPTO = 0x00400000;
export const SCH_USE_PRESHAREDKEY_ONLY = 0x00800000;
export const SCH_USE_DTLS_ONLY = 0x01000000;
export const SCH_ALLOW_NULL_ENCRYPTION = 0x02000000;
export const SCH_CRED_DEFERRED_CRED_VALIDATION = 0x04000000;

export const SCH_MACHINE_CERT_HASH = 0x1;

export const TLS_PARAMS_OPTIONAL = 0x1;

export const SP_PROT_NONE = 0;
export const SP_PROT_PCT1_SERVER = 0x1;
export const SP_PROT_PCT1_CLIENT = 0x2;
export const SP_PROT_SSL2_SERVER = 0x4;
export const SP_PROT_SSL2_CLIENT = 0x8;
export const SP_PROT_SSL3_SERVER = 0x10;
export const SP_PROT_SSL3_CLIENT = 0x20;
export const SP_PROT_TLS1_0_SERVER = 0x40;
export const SP_PROT_TLS1_0_CLIENT = 0x80;
export const SP_PROT_TLS1_1_SERVER = 0x100;
export const SP_PROT_TLS1_1_CLIENT = 0x200;
export const SP_PROT_TLS1_2_SERVER = 0x400;
export const SP_PROT_TLS1_2_CLIENT = 0x800;
export const SP_PROT_TLS1_3_SERVER = 0x1000;
export const SP_PROT_TLS1_3_CLIENT = 0x2000;
export const SP_PROT_DTLS1_0_SERVER = 0x10000;
export const SP_PROT_DTLS1_0_CLIENT = 0x20000;
export const SP_PROT_DTLS1_2_SERVER = 0x40000;
export const SP_PROT_DTLS1_2_CLIENT = 0x80000;
export const SP_PROT_UNI_SERVER = 0x40000000;
export const SP_PROT_UNI_CLIENT = 0x80000000;
export const SP_PROT_ALL = 0xffffffff;
export const SP_PROT_TLS1_2 = SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_2_CLIENT;
export const SP_PROT_TLS1_3 = SP_PROT_TLS1_3_SERVER | SP_PROT_TLS1_3_CLIENT;

/** ApplyControlToken token types (first DWORD of the token). */
export const SCHANNEL_RENEGOTIATE = 0;
export const SCHANNEL_SHUTDOWN = 1;
export const SCHANNEL_ALERT = 2;
export const SCHANNEL_SESSION = 3;

/** `SCHANNEL_ALERT_TOKEN.dwAlertType`. */
export const TLS1_ALERT_WARNING = 1;
export const TLS1_ALERT_FATAL = 2;

/** `SCHANNEL_SESSION_TOKEN.dwFlags`. */
export const SSL_SESSION_ENABLE_RECONNECTS = 1;
export const SSL_SESSION_DISABLE_RECONNECTS = 2;

/** TLS alert descriptions (RFC 8446 §6, schannel.h `TLS1_ALERT_*`). */
export const TLS1_ALERT_CLOSE_NOTIFY = 0;
export const TLS1_ALERT_UNEXPECTED_MESSAGE = 10;
export const TLS1_ALERT_BAD_RECORD_MAC = 20;
export const TLS1_ALERT_DECRYPTION_FAILED = 21;
export const TLS1_ALERT_RECORD_OVERFLOW = 22;
export const TLS1_ALERT_DECOMPRESSION_FAIL = 30;
export const TLS1_ALERT_HANDSHAKE_FAILURE = 40;
export const TLS1_ALERT_BAD_CERTIFICATE = 42;
export const TLS1_ALERT_UNSUPPORTED_CERT = 43;
export const TLS1_ALERT_CERTIFICATE_REVOKED = 44;
export const TLS1_ALERT_CERTIFICATE_EXPIRED = 45;
export const TLS1_ALERT_CERTIFICATE_UNKNOWN = 46;
export const TLS1_ALERT_ILLEGAL_PARAMETER = 47;
export const TLS1_ALERT_UNKNOWN_CA = 48;
export const TLS1_ALERT_ACCESS_DENIED = 49;
export const TLS1_ALERT_DECODE_ERROR = 50;
export const TLS1_ALERT_DECRYPT_ERROR = 51;
export const TLS1_ALERT_EXPORT_RESTRICTION = 60;
export const TLS1_ALERT_PROTOCOL_VERSION = 70;
export const TLS1_ALERT_INSUFFICIENT_SECURIY = 71;
export const TLS1_ALERT_INSUFFICIENT_SECURITY = 71;
export const TLS1_ALERT_INTERNAL_ERROR = 80;
export const TLS1_ALERT_INAPPROPRIATE_FALLBACK = 86;
export const TLS1_ALERT_USER_CANCELED = 90;
export const TLS1_ALERT_NO_RENEGOTIATION = 100;
export const TLS1_ALERT_MISSING_EXTENSION = 109;
export const TLS1_ALERT_UNSUPPORTED_EXT = 110;
export const TLS1_ALERT_UNRECOGNIZED_NAME = 112;
export const TLS1_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113;
export const TLS1_ALERT_UNKNOWN_PSK_IDENTITY = 115;
export const TLS1_ALERT_CERTIFICATE_REQUIRED = 116;
export const TLS1_ALERT_NO_APP_PROTOCOL = 120;

/** `AlertDescription` names (RFC 8446 §6, RFC 5246 §7.2, IANA "TLS Alerts" registry). */
const ALERT_DESCRIPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "close_notify"],
  [10, "unexpected_message"],
  [20, "bad_record_mac"],
  [21, "decryption_failed"],
  [22, "record_overflow"],
  [30, "decompression_failure"],
  [40, "handshake_failure"],
  [41, "no_certificate"],
  [42, "bad_certificate"],
  [43, "unsupported_certificate"],
  [44, "certificate_revoked"],
  [45, "certificate_expired"],
  [46, "certificate_unknown"],
  [47, "illegal_parameter"],
  [48, "unknown_ca"],
  [49, "access_denied"],
  [50, "decode_error"],
  [51, "decrypt_error"],
  [60, "export_restriction"],
  [70, "protocol_version"],
  [71, "insufficient_security"],
  [80, "internal_error"],
  [86, "inappropriate_fallback"],
  [90, "user_canceled"],
  [100, "no_renegotiation"],
  [109, "missing_extension"],
  [110, "unsupported_extension"],
  [111, "certificate_unobtainable"],
  [112, "unrecognized_name"],
  [113, "bad_certificate_status_response"],
  [114, "bad_certificate_hash_value"],
  [115, "unknown_psk_identity"],
  [116, "certificate_required"],
  [120, "no_application_protocol"],
  [121, "ech_required"],
]);

/** The RFC name of a TLS alert description (`"unknown_ca"`), or `undefined` for an unknown number. */
export function alertDescriptionName(description: number): string | undefined {
  return ALERT_DESCRIPTION_NAMES.get(description);
}

/** The RFC name of a TLS alert description (`"unknown_ca"`), or `alert(N)` for unknown numbers. */
export function alertName(description: number): string {
  return alertDescriptionName(description) ?? `alert(${description})`;
}

/** `eTlsAlgorithmUsage` values of `CRYPTO_SETTINGS.eAlgorithmUsage`. */
export const TlsParametersCngAlgUsageKeyExchange = 0;
export const TlsParametersCngAlgUsageSignature = 1;
export const TlsParametersCngAlgUsageCipher = 2;
export const TlsParametersCngAlgUsageDigest = 3;
export const TlsParametersCngAlgUsageCertSig = 4;
