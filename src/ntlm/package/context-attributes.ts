/**
 * QueryContextAttributes for NTLM contexts. Byte and `SecPkgInfo` results are allocated (release
 * them with `FreeContextBuffer`; session keys are zeroed then).
 *
 * | Attribute | `pBuffer.value` | Before completion |
 * |---|---|---|
 * | `SECPKG_ATTR_SIZES` | `{ cbMaxToken: 2888, cbMaxSignature: 16, cbBlockSize: 0, cbSecurityTrailer: 16 }` | yes |
 * | `SECPKG_ATTR_PACKAGE_INFO` | `{ PackageInfo }` (the NTLM `SecPkgInfo`) | yes |
 * | `SECPKG_ATTR_NEGOTIATION_INFO` | `{ PackageInfo, NegotiationState }` (`SECPKG_NEGOTIATION_IN_PROGRESS` / `_COMPLETE`) | yes |
 * | `SECPKG_ATTR_FLAGS` | `{ Flags }`: the `ISC_RET_*` / `ASC_RET_*` of the last step | yes |
 * | `SECPKG_ATTR_NAMES` | `{ sUserName }`: the client, `DOMAIN\user` (no account mapping off Windows) | no |
 * | `SECPKG_ATTR_NATIVE_NAMES` | `{ sClientName, sServerName }`: `DOMAIN\user`; the SPN the client named, else the server's `DOMAIN\COMPUTER` (acceptor) or CHALLENGE target name (initiator) | no |
 * | `SECPKG_ATTR_SESSION_KEY` | `{ SessionKeyLength: 16, SessionKey }`: the ExportedSessionKey | no |
 * | `SECPKG_ATTR_LIFESPAN` | `{ tsStart, tsExpiry }`: completion time; NTLM contexts do not expire (`TIMESTAMP_NEVER`) | no |
 * | `SECPKG_ATTR_CLIENT_SPECIFIED_TARGET` | `{ sTargetName }`: the client's MsvAvTargetName (acceptor; `SEC_E_TARGET_UNKNOWN` when it sent none) | no |
 *
 * Before completion the "no" rows answer `SEC_E_INCOMPLETE_MESSAGE`, as Schannel's do; other
 * attributes `SEC_E_UNSUPPORTED_FUNCTION`.
 *
 * @module
 */
import {
  SECPKG_ATTR_CLIENT_SPECIFIED_TARGET,
  SECPKG_ATTR_FLAGS,
  SECPKG_ATTR_LIFESPAN,
  SECPKG_ATTR_NAMES,
  SECPKG_ATTR_NATIVE_NAMES,
  SECPKG_ATTR_NEGOTIATION_INFO,
  SECPKG_ATTR_PACKAGE_INFO,
  SECPKG_ATTR_SESSION_KEY,
  SECPKG_ATTR_SIZES,
  SECPKG_NEGOTIATION_COMPLETE,
  SECPKG_NEGOTIATION_IN_PROGRESS,
} from "../../sspi/attributes.js";
import { contextBuffers } from "../../sspi/context-buffers.js";
import type { Outcome } from "../../sspi/security-package.js";
import {
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_E_TARGET_UNKNOWN,
  SEC_E_UNSUPPORTED_FUNCTION,
} from "../../sspi/status.js";
import { TIMESTAMP_NEVER } from "../../sspi/timestamp.js";
import type { Box } from "../../sspi/types.js";
import type { Established, NtlmContext } from "./ntlm-context.js";
import { NTLM_PACKAGE_INFO, NTLM_SIZES } from "./package-info.js";

const OK: Outcome = { status: SEC_E_OK };

export function queryNtlmAttribute(context: NtlmContext, attribute: number, pBuffer: Box<unknown>): Outcome {
  const packageInfo = () => contextBuffers.track({ ...NTLM_PACKAGE_INFO });
  switch (attribute) {
    case SECPKG_ATTR_SIZES:
      pBuffer.value = { ...NTLM_SIZES };
      return OK;
    case SECPKG_ATTR_PACKAGE_INFO:
      pBuffer.value = { PackageInfo: packageInfo() };
      return OK;
    case SECPKG_ATTR_NEGOTIATION_INFO:
      pBuffer.value = {
        PackageInfo: packageInfo(),
        NegotiationState: context.established ? SECPKG_NEGOTIATION_COMPLETE : SECPKG_NEGOTIATION_IN_PROGRESS,
      };
      return OK;
    case SECPKG_ATTR_FLAGS:
      pBuffer.value = { Flags: context.contextAttr };
      return OK;
  }
  const established = context.established;
  const query = ESTABLISHED[attribute];
  if (query === undefined)
    return { status: SEC_E_UNSUPPORTED_FUNCTION, reason: `attribute ${attribute} is not supported by NTLM` };
  if (established === null)
    return { status: SEC_E_INCOMPLETE_MESSAGE, reason: "the NTLM exchange has not completed" };
  const value = query(established, context.role);
  if (value === undefined)
    return { status: SEC_E_TARGET_UNKNOWN, reason: "the client named no target (MsvAvTargetName)" };
  pBuffer.value = value;
  return OK;
}

/** The attributes of an established context; `undefined` = not known (SEC_E_TARGET_UNKNOWN). */
const ESTABLISHED: Record<number, (e: Established, role: NtlmContext["role"]) => unknown> = {
  [SECPKG_ATTR_NAMES]: (e) => ({ sUserName: e.clientName }),
  [SECPKG_ATTR_NATIVE_NAMES]: (e) => ({ sClientName: e.clientName, sServerName: e.serverName }),
  [SECPKG_ATTR_SESSION_KEY]: (e) => ({
    SessionKeyLength: e.exportedSessionKey.length,
    SessionKey: contextBuffers.track(e.exportedSessionKey.slice()),
  }),
  [SECPKG_ATTR_LIFESPAN]: (e) => ({ tsStart: e.start, tsExpiry: TIMESTAMP_NEVER }),
  [SECPKG_ATTR_CLIENT_SPECIFIED_TARGET]: (e, role) =>
    role === "acceptor" && e.clientTarget ? { sTargetName: e.clientTarget } : undefined,
};
