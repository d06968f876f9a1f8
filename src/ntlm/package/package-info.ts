/**
 * What Windows reports for its NTLM package (`SecPkgInfo`), and the sizes NTLM works with.
 *
 * @module
 */
import {
  SECPKG_FLAG_ACCEPT_WIN32_NAME,
  SECPKG_FLAG_CONNECTION,
  SECPKG_FLAG_IMPERSONATION,
  SECPKG_FLAG_INTEGRITY,
  SECPKG_FLAG_LOGON,
  SECPKG_FLAG_MULTI_REQUIRED,
  SECPKG_FLAG_NEGOTIABLE,
  SECPKG_FLAG_PRIVACY,
  SECPKG_FLAG_RESTRICTED_TOKENS,
  SECPKG_FLAG_TOKEN_ONLY,
} from "../../sspi/package-constants.js";
import type { SecPkgInfo } from "../../sspi/types.js";
import { NTLM_SIGNATURE_SIZE } from "../session-security.js";

/** `NTLMSP_NAME`: the package name. */
export const NTLMSP_NAME = "NTLM";

/** Windows' `cbMaxToken` for NTLM (0xB48). */
export const NTLM_MAX_TOKEN = 2888;

/** NTLM's DCE RPC authentication service id (`RPC_C_AUTHN_WINNT`). */
export const NTLM_RPC_ID = 10;

/** `SecPkgInfo` as Windows' `EnumerateSecurityPackages` gives it (capabilities 0x00082B37). */
export const NTLM_PACKAGE_INFO: Readonly<SecPkgInfo> = Object.freeze({
  fCapabilities:
    SECPKG_FLAG_INTEGRITY |
    SECPKG_FLAG_PRIVACY |
    SECPKG_FLAG_TOKEN_ONLY |
    SECPKG_FLAG_CONNECTION |
    SECPKG_FLAG_MULTI_REQUIRED |
    SECPKG_FLAG_IMPERSONATION |
    SECPKG_FLAG_ACCEPT_WIN32_NAME |
    SECPKG_FLAG_NEGOTIABLE |
    SECPKG_FLAG_LOGON |
    SECPKG_FLAG_RESTRICTED_TOKENS,
  wVersion: 1,
  wRPCID: NTLM_RPC_ID,
  cbMaxToken: NTLM_MAX_TOKEN,
  Name: NTLMSP_NAME,
  Comment: "NTLM Security Package",
});

/** `SecPkgContext_Sizes` of an NTLM context. */
export const NTLM_SIZES = Object.freeze({
  cbMaxToken: NTLM_MAX_TOKEN,
  cbMaxSignature: NTLM_SIGNATURE_SIZE,
  cbBlockSize: 0,
  cbSecurityTrailer: NTLM_SIGNATURE_SIZE,
});
