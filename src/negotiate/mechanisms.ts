/**
 * The mechanisms Negotiate offers and accepts, by their SPNEGO OIDs, and the security package
 * that implements each (looked up by name in the package registry, never imported).
 *
 * @module
 */

/** SPNEGO itself (RFC 4178): the OID framing a NegTokenInit. */
export const SPNEGO_OID = "1.3.6.1.5.5.2";
/** Kerberos 5 (RFC 4121). */
export const KRB5_OID = "1.2.840.113554.1.2.2";
/** The Microsoft Kerberos OID (a Windows 2000 encoding slip kept forever); Windows lists it first. */
export const MS_KRB5_OID = "1.2.840.48018.1.2.2";
/** NTLMSSP. */
export const NTLMSSP_OID = "1.3.6.1.4.1.311.2.2.10";

/** The package names behind the mechanisms, as registered. */
export const KERBEROS_PACKAGE = "Kerberos";
export const NTLM_PACKAGE = "NTLM";

/** The sub-packages Negotiate can use, in the initiator's order of preference. */
export const NEGOTIABLE_PACKAGES = [KERBEROS_PACKAGE, NTLM_PACKAGE] as const;
export type NegotiablePackage = (typeof NEGOTIABLE_PACKAGES)[number];

/** The OIDs an initiator lists for a package, in order (Windows: MS Kerberos OID first). */
export function oidsOf(pkg: NegotiablePackage): readonly string[] {
  return pkg === KERBEROS_PACKAGE ? [MS_KRB5_OID, KRB5_OID] : [NTLMSSP_OID];
}

/** The package implementing `oid`, or undefined for a mechanism Negotiate does not know (NegoEx, …). */
export function packageOf(oid: string): NegotiablePackage | undefined {
  if (oid === KRB5_OID || oid === MS_KRB5_OID) return KERBEROS_PACKAGE;
  if (oid === NTLMSSP_OID) return NTLM_PACKAGE;
  return undefined;
}

/** What a token that is not SPNEGO is: a raw NTLMSSP message or a raw Kerberos GSS token. */
export function rawMechanismOf(token: Uint8Array): NegotiablePackage | undefined {
  if (token.length >= 8 && Buffer.from(token.subarray(0, 8)).toString("latin1") === "NTLMSSP\0")
    return NTLM_PACKAGE;
  if (token[0] !== 0x60) return undefined;
  // 0x60 ‖ DER length ‖ OID: the Kerberos OIDs are 06 09 2a 86 48 (86 f7 | 82 f7) 12 01 02 02
  const lengthBytes = (token[1] ?? 0) & 0x80 ? 1 + ((token[1] ?? 0) & 0x7f) : 1;
  const oid = token.subarray(1 + lengthBytes, 1 + lengthBytes + 11);
  const hex = Buffer.from(oid).toString("hex");
  if (hex === "06092a864886f712010202" || hex === "06092a864882f712010202") return KERBEROS_PACKAGE;
  return undefined;
}
