/**
 * What Windows reports for its Negotiate package (`SecPkgInfo`).
 *
 * @module
 */
import {
  SECPKG_FLAG_ACCEPT_WIN32_NAME,
  SECPKG_FLAG_CONNECTION,
  SECPKG_FLAG_EXTENDED_ERROR,
  SECPKG_FLAG_GSS_COMPATIBLE,
  SECPKG_FLAG_IMPERSONATION,
  SECPKG_FLAG_INTEGRITY,
  SECPKG_FLAG_LOGON,
  SECPKG_FLAG_MULTI_REQUIRED,
  SECPKG_FLAG_NEGOTIABLE,
  SECPKG_FLAG_PRIVACY,
  SECPKG_FLAG_RESTRICTED_TOKENS,
} from "../sspi/package-constants.js";
import type { SecPkgInfo } from "../sspi/types.js";

/** `NEGOSSP_NAME`: the package name. */
export const NEGOSSP_NAME = "Negotiate";

/** Windows' `cbMaxToken` for Negotiate (Kerberos' 48000 plus the SPNEGO framing). */
export const NEGOTIATE_MAX_TOKEN = 48256;

/** `RPC_C_AUTHN_GSS_NEGOTIATE`. */
export const NEGOTIATE_RPC_ID = 9;

/** `SecPkgInfo` as Windows' `EnumerateSecurityPackages` gives it (capabilities 0x00083BB3). */
export const NEGOTIATE_PACKAGE_INFO: Readonly<SecPkgInfo> = Object.freeze({
  fCapabilities:
    SECPKG_FLAG_INTEGRITY |
    SECPKG_FLAG_PRIVACY |
    SECPKG_FLAG_CONNECTION |
    SECPKG_FLAG_MULTI_REQUIRED |
    SECPKG_FLAG_EXTENDED_ERROR |
    SECPKG_FLAG_IMPERSONATION |
    SECPKG_FLAG_ACCEPT_WIN32_NAME |
    SECPKG_FLAG_NEGOTIABLE |
    SECPKG_FLAG_GSS_COMPATIBLE |
    SECPKG_FLAG_LOGON |
    SECPKG_FLAG_RESTRICTED_TOKENS,
  wVersion: 1,
  wRPCID: NEGOTIATE_RPC_ID,
  cbMaxToken: NEGOTIATE_MAX_TOKEN,
  Name: NEGOSSP_NAME,
  Comment: "Microsoft Package Negotiator",
});
