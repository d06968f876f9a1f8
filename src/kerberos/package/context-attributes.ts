/**
 * QueryContextAttributes for Kerberos contexts. Byte and `SecPkgInfo` results are allocated
 * (release them with `FreeContextBuffer`; session keys are zeroed then).
 *
 * | Attribute | `pBuffer.value` | Before completion |
 * |---|---|---|
 * | `SECPKG_ATTR_SIZES` | `{ cbMaxToken: 48000, cbMaxSignature, cbBlockSize: 1, cbSecurityTrailer: 76 }` (signature: 28 aes-sha1, 32 aes128-sha256, 40 aes256-sha384, 37 rc4-hmac; 40 before the key is known) | yes |
 * | `SECPKG_ATTR_PACKAGE_INFO` | `{ PackageInfo }` (the Kerberos `SecPkgInfo`) | yes |
 * | `SECPKG_ATTR_NEGOTIATION_INFO` | `{ PackageInfo, NegotiationState }` | yes |
 * | `SECPKG_ATTR_FLAGS` | `{ Flags }`: the `ISC_RET_*` / `ASC_RET_*` of the last step | yes |
 * | `SECPKG_ATTR_NAMES` | `{ sUserName }`: the client principal, `user@REALM` (no account mapping off Windows) | no |
 * | `SECPKG_ATTR_NATIVE_NAMES` | `{ sClientName, sServerName }`: `user@REALM`, `service/host@REALM` | no |
 * | `SECPKG_ATTR_SESSION_KEY` | `{ SessionKeyLength, SessionKey }`: the context key (acceptor subkey, else initiator subkey) | no |
 * | `SECPKG_ATTR_LIFESPAN` | `{ tsStart, tsExpiry }`: the service ticket's start and end | no |
 * | {@link KERB_ATTR_AUTHORIZATION_DATA} | `{ AuthorizationData: [{ type, data }] }`: the ticket's authorization data as the KDC issued it (acceptor; a PAC is exposed, not validated) | no |
 *
 * Before completion the "no" rows answer `SEC_E_INCOMPLETE_MESSAGE`; other attributes
 * `SEC_E_UNSUPPORTED_FUNCTION`.
 *
 * @module
 */
import {
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
import { SEC_E_INCOMPLETE_MESSAGE, SEC_E_OK, SEC_E_UNSUPPORTED_FUNCTION } from "../../sspi/status.js";
import type { Box } from "../../sspi/types.js";
import { ETYPE } from "../crypto/encryption-type.js";
import { encryptionType } from "../crypto/registry.js";
import type { Established, KerberosContext } from "./kerberos-context.js";
import { KERBEROS_PACKAGE_INFO, KERBEROS_SECURITY_TRAILER, KERBEROS_SIZES } from "./package-info.js";

/**
 * This library's attribute for the ticket's authorization data (acceptor), in the range Windows
 * leaves to packages. Not a Windows constant.
 */
export const KERB_ATTR_AUTHORIZATION_DATA = 0x80000100;

/** RC4 MIC tokens: GSS framing (13 bytes) + header, sequence and checksum (24). */
const RC4_MIC_BYTES = 37;

const OK: Outcome = { status: SEC_E_OK };

export function queryKerberosAttribute(
  context: KerberosContext,
  attribute: number,
  pBuffer: Box<unknown>,
): Outcome {
  const packageInfo = () => contextBuffers.track({ ...KERBEROS_PACKAGE_INFO });
  switch (attribute) {
    case SECPKG_ATTR_SIZES:
      pBuffer.value = context.established ? sizes(context.established) : { ...KERBEROS_SIZES };
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
  const query = ESTABLISHED[attribute];
  if (query === undefined)
    return {
      status: SEC_E_UNSUPPORTED_FUNCTION,
      reason: `attribute ${attribute} is not supported by Kerberos`,
    };
  if (context.established === null)
    return { status: SEC_E_INCOMPLETE_MESSAGE, reason: "the Kerberos exchange has not completed" };
  pBuffer.value = query(context.established);
  return OK;
}

function sizes(e: Established) {
  const etype = e.perMessage.key.etype;
  const signature = etype === ETYPE.RC4_HMAC ? RC4_MIC_BYTES : 16 + encryptionType(etype).checksumBytes;
  return { ...KERBEROS_SIZES, cbMaxSignature: signature, cbSecurityTrailer: KERBEROS_SECURITY_TRAILER };
}

const ESTABLISHED: Record<number, (e: Established) => unknown> = {
  [SECPKG_ATTR_NAMES]: (e) => ({ sUserName: e.clientName }),
  [SECPKG_ATTR_NATIVE_NAMES]: (e) => ({ sClientName: e.clientName, sServerName: e.serverName }),
  [SECPKG_ATTR_SESSION_KEY]: (e) => ({
    SessionKeyLength: e.perMessage.key.value.length,
    SessionKey: contextBuffers.track(e.perMessage.key.value.slice()),
  }),
  [SECPKG_ATTR_LIFESPAN]: (e) => ({ tsStart: e.start, tsExpiry: e.expiry }),
  [KERB_ATTR_AUTHORIZATION_DATA]: (e) => ({
    AuthorizationData: e.authorizationData.map((a) => ({ type: a.type, data: a.data.slice() })),
  }),
};
