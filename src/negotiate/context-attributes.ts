/**
 * QueryContextAttributes for Negotiate contexts. Negotiate answers three attributes itself and
 * hands every other one to the chosen package's context:
 *
 * | Attribute | `pBuffer.value` |
 * |---|---|
 * | `SECPKG_ATTR_NEGOTIATION_INFO` | `{ PackageInfo, NegotiationState }`: the chosen package's `SecPkgInfo` (Negotiate's own before any was chosen); `SECPKG_NEGOTIATION_COMPLETE` once established, else `_IN_PROGRESS` |
 * | `SECPKG_ATTR_NEGOTIATION_PACKAGE` | `{ PackageInfo }`: the chosen package (`SEC_E_INCOMPLETE_MESSAGE` before the first step) |
 * | `SECPKG_ATTR_FLAGS` | `{ Flags }`: the `ISC_RET_*` / `ASC_RET_*` of the last step |
 * | anything else | the chosen package's answer (`SECPKG_ATTR_NAMES`, `SESSION_KEY`, `SIZES`, …); `SEC_E_INCOMPLETE_MESSAGE` before the first step |
 *
 * `PackageInfo` is allocated (release it with `FreeContextBuffer`).
 *
 * @module
 */
import {
  SECPKG_ATTR_FLAGS,
  SECPKG_ATTR_NEGOTIATION_INFO,
  SECPKG_ATTR_NEGOTIATION_PACKAGE,
  SECPKG_NEGOTIATION_COMPLETE,
  SECPKG_NEGOTIATION_IN_PROGRESS,
} from "../sspi/attributes.js";
import { contextBuffers } from "../sspi/context-buffers.js";
import type { Outcome } from "../sspi/security-package.js";
import { SEC_E_INCOMPLETE_MESSAGE, SEC_E_OK, SEC_E_UNSUPPORTED_FUNCTION } from "../sspi/status.js";
import type { Box } from "../sspi/types.js";
import type { NegotiateContext } from "./negotiate-context.js";
import { NEGOTIATE_PACKAGE_INFO } from "./package-info.js";

const OK: Outcome = { status: SEC_E_OK };
const NOT_STARTED: Outcome = { status: SEC_E_INCOMPLETE_MESSAGE, reason: "no package has been chosen yet" };

export function queryNegotiateAttribute(
  context: NegotiateContext,
  attribute: number,
  pBuffer: Box<unknown>,
): Outcome {
  const mech = context.mech;
  switch (attribute) {
    case SECPKG_ATTR_NEGOTIATION_INFO:
      pBuffer.value = {
        PackageInfo: contextBuffers.track({ ...(mech?.pkg.info ?? NEGOTIATE_PACKAGE_INFO) }),
        NegotiationState: context.complete ? SECPKG_NEGOTIATION_COMPLETE : SECPKG_NEGOTIATION_IN_PROGRESS,
      };
      return OK;
    case SECPKG_ATTR_NEGOTIATION_PACKAGE:
      if (mech === null) return NOT_STARTED;
      pBuffer.value = { PackageInfo: contextBuffers.track({ ...mech.pkg.info }) };
      return OK;
    case SECPKG_ATTR_FLAGS:
      pBuffer.value = { Flags: context.contextAttr };
      return OK;
  }
  if (mech === null || mech.context === null) return NOT_STARTED;
  return (
    mech.pkg.queryContextAttributes?.(mech.context, attribute, pBuffer) ?? {
      status: SEC_E_UNSUPPORTED_FUNCTION,
      reason: `attribute ${attribute} is not supported by ${mech.name}`,
    }
  );
}
