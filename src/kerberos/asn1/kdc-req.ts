/**
 * AS-REQ [APPLICATION 10] and TGS-REQ [APPLICATION 12]: KDC-REQ and KDC-REQ-BODY (RFC 4120
 * §5.4.1). The body is encoded on its own first because a TGS-REQ's authenticator checksums
 * exactly those bytes.
 *
 * @module
 */
import { malformed } from "../errors.js";
import type { PrincipalName } from "../principal.js";
import {
  type EncryptedData,
  type HostAddress,
  type PaData,
  readEncryptedData,
  readHostAddresses,
  readPaDataList,
  readPrincipalName,
  writeEncryptedData,
  writeHostAddresses,
  writePaDataList,
  writePrincipalName,
} from "./basic-types.js";
import { MSG_TYPE } from "./constants.js";
import {
  DerFields,
  type DerNode,
  expectInteger,
  optionalField,
  parseDer,
  readFlags,
  readInteger,
  readString,
  readTime,
  sequenceItems,
  unwrapApplication,
} from "./der-read.js";
import {
  application,
  encodeDer,
  generalString,
  integer,
  kerberosFlags,
  kerberosTime,
  sequenceOf,
  taggedSequence,
} from "./der-write.js";
import { rawDer } from "./raw-der.js";
import { readTicket, type Ticket, writeTicket } from "./ticket.js";

export interface KdcReqBody {
  readonly kdcOptions: number;
  readonly cname?: PrincipalName | undefined;
  readonly realm: string;
  readonly sname?: PrincipalName | undefined;
  readonly from?: Date | undefined;
  readonly till: Date;
  readonly rtime?: Date | undefined;
  /** UInt32; clients keep it below 2^31 as MIT does. */
  readonly nonce: number;
  /** Encryption types in order of preference. */
  readonly etypes: readonly number[];
  readonly addresses?: readonly HostAddress[] | undefined;
  readonly encAuthorizationData?: EncryptedData | undefined;
  readonly additionalTickets?: readonly Ticket[] | undefined;
}

export interface KdcReq {
  readonly msgType: typeof MSG_TYPE.AS_REQ | typeof MSG_TYPE.TGS_REQ;
  readonly padata: readonly PaData[];
  readonly body: KdcReqBody;
  /** The KDC-REQ-BODY's DER, as sent or received (what PA-TGS-REQ's checksum covers). */
  readonly bodyDer: Uint8Array;
}

const WHAT = "KDC-REQ-BODY";

export function encodeKdcReqBody(b: KdcReqBody): Uint8Array {
  return encodeDer(
    taggedSequence([
      [0, kerberosFlags(b.kdcOptions)],
      [1, b.cname && writePrincipalName(b.cname)],
      [2, generalString(b.realm)],
      [3, b.sname && writePrincipalName(b.sname)],
      [4, b.from && kerberosTime(b.from)],
      [5, kerberosTime(b.till)],
      [6, b.rtime && kerberosTime(b.rtime)],
      [7, integer(b.nonce)],
      [8, sequenceOf(b.etypes.map(integer))],
      [9, b.addresses && writeHostAddresses(b.addresses)],
      [10, b.encAuthorizationData && writeEncryptedData(b.encAuthorizationData)],
      [11, b.additionalTickets && sequenceOf(b.additionalTickets.map(writeTicket))],
    ]),
  );
}

function readKdcReqBody(node: DerNode): KdcReqBody {
  const f = new DerFields(node, WHAT);
  const etypes = sequenceItems(f.required(8, "etype"), WHAT).map((n) => readInteger(n, WHAT));
  if (etypes.length === 0) throw malformed(WHAT, "empty etype list");
  return {
    kdcOptions: readFlags(f.required(0, "kdc-options"), WHAT),
    cname: optionalField(f.optional(1), (n) => readPrincipalName(n, WHAT)),
    realm: readString(f.required(2, "realm"), WHAT),
    sname: optionalField(f.optional(3), (n) => readPrincipalName(n, WHAT)),
    from: optionalField(f.optional(4), (n) => readTime(n, WHAT)),
    till: readTime(f.required(5, "till"), WHAT),
    rtime: optionalField(f.optional(6), (n) => readTime(n, WHAT)),
    nonce: readInteger(f.required(7, "nonce"), WHAT),
    etypes,
    addresses: optionalField(f.optional(9), (n) => readHostAddresses(n, WHAT)),
    encAuthorizationData: optionalField(f.optional(10), (n) => readEncryptedData(n, WHAT)),
    additionalTickets: optionalField(f.optional(11), (n) => sequenceItems(n, WHAT).map(readTicket)),
  };
}

/**
 * Encodes an AS-REQ or TGS-REQ. `bodyDer` (from {@link encodeKdcReqBody}) is embedded unchanged
 * when given, so a checksum computed over it stays valid.
 */
export function encodeKdcReq(req: Omit<KdcReq, "bodyDer"> & { bodyDer?: Uint8Array }): Uint8Array {
  const body = req.bodyDer ?? encodeKdcReqBody(req.body);
  return encodeDer(
    application(
      req.msgType,
      taggedSequence([
        [1, integer(5)],
        [2, integer(req.msgType)],
        [3, req.padata.length > 0 ? writePaDataList(req.padata) : undefined],
        [4, rawDer(body, WHAT)],
      ]),
    ),
  );
}

/** Decodes an AS-REQ or TGS-REQ (whichever `msgType` says). */
export function decodeKdcReq(bytes: Uint8Array, msgType: KdcReq["msgType"]): KdcReq {
  const what = msgType === MSG_TYPE.AS_REQ ? "AS-REQ" : "TGS-REQ";
  const f = new DerFields(unwrapApplication(parseDer(bytes, what), msgType, what), what);
  expectInteger(f.required(1, "pvno"), 5, what, "pvno");
  expectInteger(f.required(2, "msg-type"), msgType, what, "msg-type");
  const bodyNode = f.required(4, "req-body");
  return {
    msgType,
    padata: optionalField(f.optional(3), (n) => readPaDataList(n, what)) ?? [],
    body: readKdcReqBody(bodyNode),
    bodyDer: new Uint8Array(bodyNode.valueBeforeDecodeView),
  };
}
