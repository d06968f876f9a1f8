/**
 * Credential-use values (`SECPKG_CRED_*`), package capability flags (`SECPKG_FLAG_*`) and the
 * package-level identifiers used by EnumerateSecurityPackages.
 *
 * @module
 */

export const SECPKG_CRED_INBOUND = 0x1;
export const SECPKG_CRED_OUTBOUND = 0x2;
export const SECPKG_CRED_BOTH = 0x3;
export const SECPKG_CRED_DEFAULT = 0x4;
export const SECPKG_CRED_AUTOLOGON_RESTRICTED = 0x10;
export const SECPKG_CRED_PROCESS_POLICY_ONLY = 0x20;
export const SECPKG_CRED_KERB_ANCHOR_DS_VERSION = 0x40;
export const SECPKG_CRED_RESERVED = 0xf0000000;

export const SECPKG_FLAG_INTEGRITY = 0x1;
export const SECPKG_FLAG_PRIVACY = 0x2;
export const SECPKG_FLAG_TOKEN_ONLY = 0x4;
export const SECPKG_FLAG_DATAGRAM = 0x8;
export const SECPKG_FLAG_CONNECTION = 0x10;
export const SECPKG_FLAG_MULTI_REQUIRED = 0x20;
export const SECPKG_FLAG_CLIENT_ONLY = 0x40;
export const SECPKG_FLAG_EXTENDED_ERROR = 0x80;
export const SECPKG_FLAG_IMPERSONATION = 0x100;
export const SECPKG_FLAG_ACCEPT_WIN32_NAME = 0x200;
export const SECPKG_FLAG_STREAM = 0x400;
export const SECPKG_FLAG_NEGOTIABLE = 0x800;
export const SECPKG_FLAG_GSS_COMPATIBLE = 0x1000;
export const SECPKG_FLAG_LOGON = 0x2000;
export const SECPKG_FLAG_ASCII_BUFFERS = 0x4000;
export const SECPKG_FLAG_FRAGMENT = 0x8000;
export const SECPKG_FLAG_MUTUAL_AUTH = 0x10000;
export const SECPKG_FLAG_DELEGATION = 0x20000;
export const SECPKG_FLAG_READONLY_WITH_CHECKSUM = 0x40000;
export const SECPKG_FLAG_RESTRICTED_TOKENS = 0x80000;
export const SECPKG_FLAG_NEGO_EXTENDER = 0x100000;
export const SECPKG_FLAG_NEGOTIABLE2 = 0x200000;
export const SECPKG_FLAG_APPCONTAINER_PASSTHROUGH = 0x400000;
export const SECPKG_FLAG_APPCONTAINER_CHECKS = 0x800000;
export const SECPKG_FLAG_CREDENTIAL_ISOLATION_ENABLED = 0x1000000;
export const SECPKG_FLAG_APPLY_LOOPBACK = 0x2000000;

/** `SecPkgInfo.wRPCID` for packages without a DCE RPC id. */
export const SECPKG_ID_NONE = 0xffff;

export const SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION = 1;
