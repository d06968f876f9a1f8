/**
 * What Windows reports for its Kerberos package (`SecPkgInfo`), and the sizes a Kerberos context
 * works with.
 *
 * @module
 */
import type { SecPkgInfo } from "../../sspi/types.js";

/** `MICROSOFT_KERBEROS_NAME`: the package name. */
export const MICROSOFT_KERBEROS_NAME = "Kerberos";

/** Windows' `cbMaxToken` for Kerberos since Windows Server 2012 (48,000 bytes: tickets carry PACs). */
export const KERBEROS_MAX_TOKEN = 48000;

/** Kerberos' DCE RPC authentication service id (`RPC_C_AUTHN_GSS_KERBEROS`). */
export const KERBEROS_RPC_ID = 16;

/**
 * `SecPkgInfo` as Windows' `EnumerateSecurityPackages` gives it: capabilities 0x000F3BBF
 * (integrity, privacy, token only, datagram, connection, multi-required, extended error,
 * impersonation, accept Win32 names, negotiable, GSS compatible, logon, ASCII buffers, fragment,
 * mutual auth, delegation), version 1, RPC id 16. The capabilities are Windows'; this package
 * does not do datagram contexts or delegation (docs/kerberos.md).
 */
export const KERBEROS_PACKAGE_INFO: Readonly<SecPkgInfo> = Object.freeze({
  fCapabilities: 0x000f3bbf,
  wVersion: 1,
  wRPCID: KERBEROS_RPC_ID,
  cbMaxToken: KERBEROS_MAX_TOKEN,
  Name: MICROSOFT_KERBEROS_NAME,
  Comment: "Microsoft Kerberos V1.0",
});

/**
 * `cbSecurityTrailer` as Windows reports it for AES contexts (76; EncryptMessage writes 60 bytes
 * with aes-sha1, 64 with aes128-sha256, 72 with aes256-sha384 and sets `cbBuffer`).
 */
export const KERBEROS_SECURITY_TRAILER = 76;

/** `SecPkgContext_Sizes` before the key is known: the largest of every supported etype. */
export const KERBEROS_SIZES = Object.freeze({
  cbMaxToken: KERBEROS_MAX_TOKEN,
  cbMaxSignature: 40,
  cbBlockSize: 1,
  cbSecurityTrailer: KERBEROS_SECURITY_TRAILER,
});
