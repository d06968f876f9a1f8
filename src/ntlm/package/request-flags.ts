/**
 * How `ISC_REQ_*` / `ASC_REQ_*` map to the NTLM exchange and which `ISC_RET_*` / `ASC_RET_*`
 * come back. NTLM signatures carry sequence numbers, so replay and sequence detection come with
 * integrity; NTLM is connection-oriented here (no `*_REQ_DATAGRAM`), and it cannot authenticate
 * the server (`*_REQ_MUTUAL_AUTH` is never returned). `*_RET_ALLOCATED_MEMORY` is the surface's.
 *
 * @module
 */
import {
  ASC_REQ_ALLOW_MISSING_BINDINGS,
  ASC_REQ_DATAGRAM,
  ASC_RET_CONFIDENTIALITY,
  ASC_RET_CONNECTION,
  ASC_RET_INTEGRITY,
  ASC_RET_REPLAY_DETECT,
  ASC_RET_SEQUENCE_DETECT,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_DATAGRAM,
  ISC_REQ_INTEGRITY,
  ISC_REQ_NULL_SESSION,
  ISC_REQ_REPLAY_DETECT,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_RET_CONFIDENTIALITY,
  ISC_RET_CONNECTION,
  ISC_RET_INTEGRITY,
  ISC_RET_REPLAY_DETECT,
  ISC_RET_SEQUENCE_DETECT,
} from "../../sspi/context-flags.js";

/** What the session provides (or, before it exists, what was asked for). */
export interface SessionAbilities {
  integrity: boolean;
  confidentiality: boolean;
}

/** What an initiator asks the NTLM exchange for. */
export function initiatorRequest(fContextReq: number): SessionAbilities {
  const confidentiality = (fContextReq & ISC_REQ_CONFIDENTIALITY) !== 0;
  const integrity =
    confidentiality ||
    (fContextReq & (ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT)) !== 0;
  return { integrity, confidentiality };
}

/** A request the NTLM package refuses (`SEC_E_UNSUPPORTED_FUNCTION`), or null. */
export function unsupportedRequest(role: "initiator" | "acceptor", fContextReq: number): string | null {
  if (role === "initiator" && (fContextReq & ISC_REQ_DATAGRAM) !== 0)
    return "datagram NTLM (ISC_REQ_DATAGRAM) is not supported";
  if (role === "initiator" && (fContextReq & ISC_REQ_NULL_SESSION) !== 0)
    return "anonymous NTLM (ISC_REQ_NULL_SESSION) is not supported";
  if (role === "acceptor" && (fContextReq & ASC_REQ_DATAGRAM) !== 0)
    return "datagram NTLM (ASC_REQ_DATAGRAM) is not supported";
  return null;
}

/** `ASC_REQ_ALLOW_MISSING_BINDINGS` given. */
export function allowsMissingBindings(fContextReq: number): boolean {
  return (fContextReq & ASC_REQ_ALLOW_MISSING_BINDINGS) !== 0;
}

/**
 * `ISC_RET_*`: connection always; integrity, replay and sequence detection, confidentiality
 * when asked for and provided by `session`.
 */
export function initiatorAttributes(fContextReq: number, session: SessionAbilities): number {
  let attrs = ISC_RET_CONNECTION;
  if (session.integrity) {
    if ((fContextReq & ISC_REQ_INTEGRITY) !== 0) attrs |= ISC_RET_INTEGRITY;
    if ((fContextReq & ISC_REQ_REPLAY_DETECT) !== 0) attrs |= ISC_RET_REPLAY_DETECT;
    if ((fContextReq & ISC_REQ_SEQUENCE_DETECT) !== 0) attrs |= ISC_RET_SEQUENCE_DETECT;
  }
  if (session.confidentiality && (fContextReq & ISC_REQ_CONFIDENTIALITY) !== 0)
    attrs |= ISC_RET_CONFIDENTIALITY;
  return attrs >>> 0;
}

/**
 * `ASC_RET_*`: connection always, and what the client negotiated (an acceptor that needs
 * confidentiality checks `ASC_RET_CONFIDENTIALITY`, as on Windows).
 */
export function acceptorAttributes(session: SessionAbilities): number {
  let attrs = ASC_RET_CONNECTION;
  if (session.integrity) attrs |= ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT;
  if (session.confidentiality) attrs |= ASC_RET_CONFIDENTIALITY;
  return attrs >>> 0;
}
