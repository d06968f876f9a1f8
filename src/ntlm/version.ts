/**
 * The VERSION structure (MS-NLMP §2.2.2.10): informational only, sent with
 * NTLMSSP_NEGOTIATE_VERSION. The AUTHENTICATE message keeps its 8 bytes whenever it carries a MIC.
 *
 * @module
 */
import { readBytes, writeU16 } from "./messages/wire.js";

/** `NTLMSSP_REVISION_W2K3`, the only NTLMRevisionCurrent value in use. */
export const NTLMSSP_REVISION_W2K3 = 0x0f;

export interface NtlmVersion {
  productMajorVersion: number;
  productMinorVersion: number;
  productBuild: number;
  ntlmRevisionCurrent: number;
}

/** What this implementation announces: 10.0, build 0, revision 15 (there is no Windows build). */
export const OUR_VERSION: NtlmVersion = {
  productMajorVersion: 10,
  productMinorVersion: 0,
  productBuild: 0,
  ntlmRevisionCurrent: NTLMSSP_REVISION_W2K3,
};

export function encodeVersion(v: NtlmVersion): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = v.productMajorVersion;
  out[1] = v.productMinorVersion;
  writeU16(out, 2, v.productBuild);
  out[7] = v.ntlmRevisionCurrent;
  return out;
}

export function parseVersion(bytes: Uint8Array, offset: number): NtlmVersion {
  const b = readBytes(bytes, offset, 8, "VERSION");
  return {
    productMajorVersion: b[0]!,
    productMinorVersion: b[1]!,
    productBuild: b[2]! | (b[3]! << 8),
    ntlmRevisionCurrent: b[7]!,
  };
}
