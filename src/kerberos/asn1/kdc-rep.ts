/**
 * AS-REP [APPLICATION 11] and TGS-REP [APPLICATION 13] (KDC-REP), and their encrypted part
 * EncASRepPart [APPLICATION 25] / EncTGSRepPart [APPLICATION 26] (RFC 4120 §5.4.2). Either
 * application tag is accepted for the encrypted part, as §5.4.2 asks of implementations (MIT and
 * Windows both send 26 in places).
 *
 * @module
 */
import { malformed } from "../errors.js";
import type { PrincipalName } from "../principal.js";
import {
  type EncryptedData,
  type EncryptionKey,
  type HostAddress,
  type PaData,
  readEncryptedData,
  readEncryptionKey,
  readHostAddresses,
  readPaDataList,
  readPrincipalName,
  writeEncryptedData,
  writeEncryptionKey,
  writeHostAddresses,
  writePaDataList,
  writePrincipalName,
} from "./basic-types.js";
import { MSG_TYPE } from "./constants.js";
import {
  DerFields,
  expectInteger,
  optionalField,
  parseDer,
  readFlags,
  readInteger,
  readString,
  readTime,
  sequenceItems,
  TAG_CLASS,
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
import { readTicket, type Ticket, writeTicket } from "./ticket.js";

export interface KdcRep {
  readonly msgType: typeof MSG_TYPE.AS_REP | typeof MSG_TYPE.TGS_REP;
  readonly padata: readonly PaData[];
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly ticket: Ticket;
  readonly encPart: EncryptedData;
}

export interface EncKdcRepPart {
  readonly key: EncryptionKey;
  readonly lastReq: ReadonlyArray<{ readonly type: number; readonly value: Date }>;
  readonly nonce: number;
  readonly keyExpiration?: Date | undefined;
  readonly flags: number;
  readonly authTime: Date;
  readonly startTime?: Date | undefined;
  readonly endTime: Date;
  readonly renewTill?: Date | undefined;
  readonly srealm: string;
  readonly sname: PrincipalName;
  readonly caddr?: readonly HostAddress[] | undefined;
  /** RFC 6806 encrypted-pa-data [12]. */
  readonly encryptedPaData?: readonly PaData[] | undefined;
}

export function decodeKdcRep(bytes: Uint8Array, msgType: KdcRep["msgType"]): KdcRep {
  const what = msgType === MSG_TYPE.AS_REP ? "AS-REP" : "TGS-REP";
  const f = new DerFields(unwrapApplication(parseDer(bytes, what), msgType, what), what);
  expectInteger(f.required(0, "pvno"), 5, what, "pvno");
  expectInteger(f.required(1, "msg-type"), msgType, what, "msg-type");
  return {
    msgType,
    padata: optionalField(f.optional(2), (n) => readPaDataList(n, what)) ?? [],
    crealm: readString(f.required(3, "crealm"), what),
    cname: readPrincipalName(f.required(4, "cname"), what),
    ticket: readTicket(f.required(5, "ticket")),
    encPart: readEncryptedData(f.required(6, "enc-part"), what),
  };
}

export function encodeKdcRep(rep: KdcRep): Uint8Array {
  return encodeDer(
    application(
      rep.msgType,
      taggedSequence([
        [0, integer(5)],
        [1, integer(rep.msgType)],
        [2, rep.padata.length > 0 ? writePaDataList(rep.padata) : undefined],
        [3, generalString(rep.crealm)],
        [4, writePrincipalName(rep.cname)],
        [5, writeTicket(rep.ticket)],
        [6, writeEncryptedData(rep.encPart)],
      ]),
    ),
  );
}

const WHAT_ENC = "EncKDCRepPart";

export function decodeEncKdcRepPart(bytes: Uint8Array): EncKdcRepPart {
  const outer = parseDer(bytes, WHAT_ENC);
  const id = outer.idBlock;
  if (id.tagClass !== TAG_CLASS.APPLICATION || (id.tagNumber !== 25 && id.tagNumber !== 26))
    throw malformed(WHAT_ENC, `expected [APPLICATION 25] or [APPLICATION 26], got tag ${id.tagNumber}`);
  const f = new DerFields(unwrapApplication(outer, id.tagNumber, WHAT_ENC), WHAT_ENC);
  const lastReq = sequenceItems(f.required(1, "last-req"), WHAT_ENC).map((item) => {
    const lr = new DerFields(item, WHAT_ENC);
    return {
      type: readInteger(lr.required(0, "lr-type"), WHAT_ENC),
      value: readTime(lr.required(1, "lr-value"), WHAT_ENC),
    };
  });
  return {
    key: readEncryptionKey(f.required(0, "key"), WHAT_ENC),
    lastReq,
    nonce: readInteger(f.required(2, "nonce"), WHAT_ENC),
    keyExpiration: optionalField(f.optional(3), (n) => readTime(n, WHAT_ENC)),
    flags: readFlags(f.required(4, "flags"), WHAT_ENC),
    authTime: readTime(f.required(5, "authtime"), WHAT_ENC),
    startTime: optionalField(f.optional(6), (n) => readTime(n, WHAT_ENC)),
    endTime: readTime(f.required(7, "endtime"), WHAT_ENC),
    renewTill: optionalField(f.optional(8), (n) => readTime(n, WHAT_ENC)),
    srealm: readString(f.required(9, "srealm"), WHAT_ENC),
    sname: readPrincipalName(f.required(10, "sname"), WHAT_ENC),
    caddr: optionalField(f.optional(11), (n) => readHostAddresses(n, WHAT_ENC)),
    encryptedPaData: optionalField(f.optional(12), (n) => readPaDataList(n, WHAT_ENC)),
  };
}

/** Encodes the encrypted part with `tag` 25 (AS) or 26 (TGS). */
export function encodeEncKdcRepPart(p: EncKdcRepPart, tag: 25 | 26): Uint8Array {
  return encodeDer(
    application(
      tag,
      taggedSequence([
        [0, writeEncryptionKey(p.key)],
        [
          1,
          sequenceOf(
            p.lastReq.map((lr) =>
              taggedSequence([
                [0, integer(lr.type)],
                [1, kerberosTime(lr.value)],
              ]),
            ),
          ),
        ],
        [2, integer(p.nonce)],
        [3, p.keyExpiration && kerberosTime(p.keyExpiration)],
        [4, kerberosFlags(p.flags)],
        [5, kerberosTime(p.authTime)],
        [6, p.startTime && kerberosTime(p.startTime)],
        [7, kerberosTime(p.endTime)],
        [8, p.renewTill && kerberosTime(p.renewTill)],
        [9, generalString(p.srealm)],
        [10, writePrincipalName(p.sname)],
        [11, p.caddr && writeHostAddresses(p.caddr)],
        [12, p.encryptedPaData && writePaDataList(p.encryptedPaData)],
      ]),
    ),
  );
}
