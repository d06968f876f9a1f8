/**
 * The mechListMIC (RFC 4178 §5): the chosen mechanism's MIC (its MakeSignature) over the DER
 * MechTypeList exactly as the initiator sent it, which protects the negotiation from a
 * downgrade. After making or verifying it the package is told (`afterMechListMic`): NTLM
 * re-keys that direction's RC4 handle (MS-SPNG §3.2.5.1).
 *
 * @module
 */
import { SECPKG_ATTR_SIZES } from "../sspi/attributes.js";
import { SECBUFFER_DATA, SECBUFFER_TOKEN } from "../sspi/buffer-types.js";
import type { PackageObject, SecurityPackage } from "../sspi/security-package.js";
import {
  SEC_E_DOWNGRADE_DETECTED,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  statusName,
} from "../sspi/status.js";
import { type Box, secBuffer, secBufferDesc } from "../sspi/types.js";
import { NegotiateError } from "./negotiate-error.js";

/** A chosen mechanism's established (or establishing) context. */
export interface MechContext {
  readonly name: string;
  readonly pkg: SecurityPackage;
  readonly context: PackageObject;
}

/** Room for any MIC token when the package does not say (RFC 4121 MIC tokens are 28 to 40 bytes). */
const DEFAULT_MIC_ROOM = 64;

/**
 * The mechListMIC over `mechTypesDer`, or null when the mechanism offers no integrity (then
 * SPNEGO goes without one, RFC 4178 §5).
 *
 * @throws NegotiateError when the mechanism fails otherwise.
 */
export function makeMechListMic(mech: MechContext, mechTypesDer: Uint8Array): Uint8Array | null {
  const token = secBuffer(SECBUFFER_TOKEN, micRoom(mech));
  const message = secBufferDesc(secBuffer(SECBUFFER_DATA, mechTypesDer.slice()), token);
  const outcome = mech.pkg.makeSignature?.(mech.context, 0, message, 0) ?? {
    status: SEC_E_UNSUPPORTED_FUNCTION,
  };
  if (outcome.status === SEC_E_UNSUPPORTED_FUNCTION) return null;
  if (outcome.status !== SEC_E_OK)
    throw new NegotiateError(
      outcome.status,
      `${mech.name} could not make the mechListMIC: ${outcome.reason ?? nameOf(outcome.status)}`,
    );
  mech.pkg.afterMechListMic?.(mech.context, "sent");
  return token.pvBuffer!.slice(0, token.cbBuffer);
}

/**
 * Verifies the peer's mechListMIC over `mechTypesDer`.
 *
 * @throws NegotiateError `SEC_E_DOWNGRADE_DETECTED` when it does not verify.
 */
export function verifyMechListMic(mech: MechContext, mechTypesDer: Uint8Array, mic: Uint8Array): void {
  const message = secBufferDesc(
    secBuffer(SECBUFFER_DATA, mechTypesDer.slice()),
    secBuffer(SECBUFFER_TOKEN, mic.slice()),
  );
  const outcome = mech.pkg.verifySignature?.(mech.context, message, null, 0) ?? {
    status: SEC_E_UNSUPPORTED_FUNCTION,
    reason: `${mech.name} cannot verify signatures`,
  };
  if (outcome.status !== SEC_E_OK)
    throw new NegotiateError(
      SEC_E_DOWNGRADE_DETECTED,
      `the peer's mechListMIC does not verify (${mech.name}: ${nameOf(outcome.status)}${outcome.reason ? `, ${outcome.reason}` : ""}): the list of mechanisms may have been altered`,
    );
  mech.pkg.afterMechListMic?.(mech.context, "verified");
}

function micRoom(mech: MechContext): number {
  const sizes: Box<unknown> = { value: null };
  const outcome = mech.pkg.queryContextAttributes?.(mech.context, SECPKG_ATTR_SIZES, sizes);
  const max = (sizes.value as { cbMaxSignature?: number } | null)?.cbMaxSignature;
  return outcome?.status === SEC_E_OK && typeof max === "number" && max > 0 ? max : DEFAULT_MIC_ROOM;
}

function nameOf(status: number): string {
  return statusName(status) ?? `0x${(status >>> 0).toString(16)}`;
}
