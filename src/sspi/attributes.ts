/**
 * `ulAttribute` values for QueryContextAttributes / SetContextAttributes (`SECPKG_ATTR_*`) and
 * QueryCredentialsAttributes (`SECPKG_CRED_ATTR_*`), with the Schannel-specific ones.
 *
 * @module
 */

export const SECPKG_ATTR_SIZES = 0;
export const SECPKG_ATTR_NAMES = 1;
export const SECPKG_ATTR_LIFESPAN = 2;
export const SECPKG_ATTR_DCE_INFO = 3;
export const SECPKG_ATTR_STREAM_SIZES = 4;
export const SECPKG_ATTR_DATAGRAM_SIZES = SECPKG_ATTR_STREAM_SIZES;
export const SECPKG_ATTR_KEY_INFO = 5;
export const SECPKG_ATTR_AUTHORITY = 6;
export const SECPKG_ATTR_PROTO_INFO = 7;
export const SECPKG_ATTR_PASSWORD_EXPIRY = 8;
export const SECPKG_ATTR_SESSION_KEY = 9;
export const SECPKG_ATTR_PACKAGE_INFO = 10;
export const SECPKG_ATTR_USER_FLAGS = 11;
export const SECPKG_ATTR_NEGOTIATION_INFO = 12;
export const SECPKG_ATTR_NATIVE_NAMES = 13;
export const SECPKG_ATTR_FLAGS = 14;
export const SECPKG_ATTR_USE_VALIDATED = 15;
export const SECPKG_ATTR_CREDENTIAL_NAME = 16;
export const SECPKG_ATTR_TARGET_INFORMATION = 17;
export const SECPKG_ATTR_ACCESS_TOKEN = 18;
export const SECPKG_ATTR_TARGET = 19;
export const SECPKG_ATTR_AUTHENTICATION_ID = 20;
export const SECPKG_ATTR_LOGOFF_TIME = 21;
export const SECPKG_ATTR_NEGO_KEYS = 22;
export const SECPKG_ATTR_PROMPTING_NEEDED = 24;
export const SECPKG_ATTR_UNIQUE_BINDINGS = 25;
export const SECPKG_ATTR_ENDPOINT_BINDINGS = 26;
export const SECPKG_ATTR_CLIENT_SPECIFIED_TARGET = 27;
export const SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS = 30;
export const SECPKG_ATTR_NEGO_PKG_INFO = 31;
export const SECPKG_ATTR_NEGO_STATUS = 32;
export const SECPKG_ATTR_CONTEXT_DELETED = 33;
export const SECPKG_ATTR_DTLS_MTU = 34;
export const SECPKG_ATTR_APPLICATION_PROTOCOL = 35;
export const SECPKG_ATTR_NEGOTIATED_TLS_EXTENSIONS = 36;
export const SECPKG_ATTR_IS_LOOPBACK = 37;
/** The package Negotiate chose (`SecPkgContext_PackageInfo`); Negotiate contexts only. */
export const SECPKG_ATTR_NEGOTIATION_PACKAGE = 0x80000081;

export const SECPKG_ATTR_ISSUER_LIST = 0x50;
export const SECPKG_ATTR_REMOTE_CRED = 0x51;
export const SECPKG_ATTR_LOCAL_CRED = 0x52;
export const SECPKG_ATTR_REMOTE_CERT_CONTEXT = 0x53;
export const SECPKG_ATTR_LOCAL_CERT_CONTEXT = 0x54;
export const SECPKG_ATTR_ROOT_STORE = 0x55;
export const SECPKG_ATTR_SUPPORTED_ALGS = 0x56;
export const SECPKG_ATTR_CIPHER_STRENGTHS = 0x57;
export const SECPKG_ATTR_SUPPORTED_PROTOCOLS = 0x58;
export const SECPKG_ATTR_ISSUER_LIST_EX = 0x59;
export const SECPKG_ATTR_CONNECTION_INFO = 0x5a;
export const SECPKG_ATTR_EAP_KEY_BLOCK = 0x5b;
export const SECPKG_ATTR_MAPPED_CRED_ATTR = 0x5c;
export const SECPKG_ATTR_SESSION_INFO = 0x5d;
export const SECPKG_ATTR_APP_DATA = 0x5e;
export const SECPKG_ATTR_REMOTE_CERTIFICATES = 0x5f;
export const SECPKG_ATTR_CLIENT_CERT_POLICY = 0x60;
export const SECPKG_ATTR_CC_POLICY_RESULT = 0x61;
export const SECPKG_ATTR_USE_NCRYPT = 0x62;
export const SECPKG_ATTR_LOCAL_CERT_INFO = 0x63;
export const SECPKG_ATTR_CIPHER_INFO = 0x64;
export const SECPKG_ATTR_EAP_PRF_INFO = 0x65;
export const SECPKG_ATTR_SUPPORTED_SIGNATURES = 0x66;
export const SECPKG_ATTR_REMOTE_CERT_CHAIN = 0x67;
export const SECPKG_ATTR_UI_INFO = 0x68;
export const SECPKG_ATTR_EARLY_START = 0x69;
export const SECPKG_ATTR_KEYING_MATERIAL_INFO = 0x6a;
export const SECPKG_ATTR_KEYING_MATERIAL = 0x6b;
export const SECPKG_ATTR_SRTP_PARAMETERS = 0x6c;
export const SECPKG_ATTR_TOKEN_BINDING = 0x6d;
export const SECPKG_ATTR_CONNECTION_INFO_EX = 0x6e;
export const SECPKG_ATTR_KEYING_MATERIAL_TOKEN_BINDING = 0x6f;
export const SECPKG_ATTR_KEYING_MATERIAL_INPROC = 0x70;
export const SECPKG_ATTR_CERT_CHECK_RESULT = 0x71;
export const SECPKG_ATTR_CERT_CHECK_RESULT_INPROC = 0x72;
export const SECPKG_ATTR_SESSION_TICKET_KEYS = 0x73;
export const SECPKG_ATTR_SERIALIZED_REMOTE_CERT_CONTEXT_INPROC = 0x74;
export const SECPKG_ATTR_SERIALIZED_REMOTE_CERT_CONTEXT = 0x75;
/**
 * Extension (not a Windows value): a TLS client's newest resumable session, exported for
 * another credential or process (`SecPkgContext_TlsSessionEx`; give it back in a
 * `SECBUFFER_TLS_SESSION_EX` on a first ISC).
 */
export const SECPKG_ATTR_TLS_SESSION_EX = 0x1000;

/** QueryCredentialsAttributes attributes. */
export const SECPKG_CRED_ATTR_NAMES = 1;
export const SECPKG_CRED_ATTR_SSI_PROVIDER = 2;
export const SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS = 3;
export const SECPKG_CRED_ATTR_CERT = 4;
export const SECPKG_CRED_ATTR_PAC_BYPASS = 5;

/** `SecPkgContext_SessionInfo.dwFlags`: the session was resumed. */
export const SSL_SESSION_RECONNECT = 1;

/** `SecPkgContext_NegotiationInfo.NegotiationState` values. */
export const SECPKG_NEGOTIATION_COMPLETE = 0;
export const SECPKG_NEGOTIATION_OPTIMISTIC = 1;
export const SECPKG_NEGOTIATION_IN_PROGRESS = 2;
export const SECPKG_NEGOTIATION_DIRECT = 3;
export const SECPKG_NEGOTIATION_TRY_MULTICRED = 4;
