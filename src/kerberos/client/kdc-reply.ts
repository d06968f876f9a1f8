/**
 * Reading what a KDC sent back: a KRB-ERROR becomes a {@link KdcError}; a KDC-REP of the
 * expected kind is decoded; anything else is `ERR_KRB_MALFORMED`.
 *
 * @module
 */
import { MSG_TYPE } from "../asn1/constants.js";
import { decodeKdcRep, type KdcRep } from "../asn1/kdc-rep.js";
import { decodeKrbError } from "../asn1/krb-error.js";
import { malformed } from "../errors.js";
import { KdcError } from "./kdc-error.js";

/** [APPLICATION n] constructed identifier octet. */
const applicationTag = (n: number) => 0x60 | n;

export function readKdcReply(reply: Uint8Array, expected: KdcRep["msgType"], context: string): KdcRep {
  if (reply[0] === applicationTag(MSG_TYPE.KRB_ERROR)) throw new KdcError(decodeKrbError(reply), context);
  if (reply[0] !== applicationTag(expected))
    throw malformed(
      context,
      `KDC reply starts with 0x${(reply[0] ?? 0).toString(16)}, not [APPLICATION ${expected}]`,
    );
  return decodeKdcRep(reply, expected);
}
