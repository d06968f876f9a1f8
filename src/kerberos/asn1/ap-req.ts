/**
 * AP-REQ [APPLICATION 14] (RFC 4120 §5.5.1): ap-options, the ticket, and the authenticator
 * encrypted with the ticket's session key (key usage 11, or 7 inside a TGS-REQ).
 *
 * @module
 */
import { type EncryptedData, readEncryptedData, writeEncryptedData } from "./basic-types.js";
import { MSG_TYPE } from "./constants.js";
import { DerFields, expectInteger, parseDer, readFlags, unwrapApplication } from "./der-read.js";
import { application, encodeDer, integer, kerberosFlags, taggedSequence } from "./der-write.js";
import { readTicket, type Ticket, writeTicket } from "./ticket.js";

export interface ApReq {
  readonly apOptions: number;
  readonly ticket: Ticket;
  readonly authenticator: EncryptedData;
}

const WHAT = "AP-REQ";

export function encodeApReq(req: ApReq): Uint8Array {
  return encodeDer(
    application(
      MSG_TYPE.AP_REQ,
      taggedSequence([
        [0, integer(5)],
        [1, integer(MSG_TYPE.AP_REQ)],
        [2, kerberosFlags(req.apOptions)],
        [3, writeTicket(req.ticket)],
        [4, writeEncryptedData(req.authenticator)],
      ]),
    ),
  );
}

export function decodeApReq(bytes: Uint8Array): ApReq {
  const f = new DerFields(unwrapApplication(parseDer(bytes, WHAT), MSG_TYPE.AP_REQ, WHAT), WHAT);
  expectInteger(f.required(0, "pvno"), 5, WHAT, "pvno");
  expectInteger(f.required(1, "msg-type"), MSG_TYPE.AP_REQ, WHAT, "msg-type");
  return {
    apOptions: readFlags(f.required(2, "ap-options"), WHAT),
    ticket: readTicket(f.required(3, "ticket")),
    authenticator: readEncryptedData(f.required(4, "authenticator"), WHAT),
  };
}
