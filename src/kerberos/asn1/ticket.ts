/**
 * Ticket [APPLICATION 1] and its encrypted part EncTicketPart [APPLICATION 3] (RFC 4120 §5.3).
 * A decoded Ticket keeps its exact DER (`der`) so it can be sent on unchanged.
 *
 * @module
 */
import type { PrincipalName } from "../principal.js";
import {
  type AuthorizationDataEntry,
  type EncryptedData,
  type EncryptionKey,
  type HostAddress,
  readAuthorizationData,
  readEncryptedData,
  readEncryptionKey,
  readHostAddresses,
  readPrincipalName,
  writeAuthorizationData,
  writeEncryptedData,
  writeEncryptionKey,
  writeHostAddresses,
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
  readOctets,
  readString,
  readTime,
  unwrapApplication,
} from "./der-read.js";
import {
  application,
  type DerValue,
  encodeDer,
  generalString,
  integer,
  kerberosFlags,
  kerberosTime,
  octets,
  taggedSequence,
} from "./der-write.js";
import { rawDer } from "./raw-der.js";

export interface Ticket {
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly encPart: EncryptedData;
  /** The Ticket's DER as received (or as encoded). */
  readonly der: Uint8Array;
}

export interface EncTicketPart {
  readonly flags: number;
  readonly key: EncryptionKey;
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly transited: { readonly type: number; readonly contents: Uint8Array };
  readonly authTime: Date;
  readonly startTime?: Date | undefined;
  readonly endTime: Date;
  readonly renewTill?: Date | undefined;
  readonly caddr?: readonly HostAddress[] | undefined;
  readonly authorizationData?: readonly AuthorizationDataEntry[] | undefined;
}

const WHAT = "Ticket";

export function readTicket(node: DerNode): Ticket {
  const f = new DerFields(unwrapApplication(node, MSG_TYPE.TICKET, WHAT), WHAT);
  expectInteger(f.required(0, "tkt-vno"), 5, WHAT, "tkt-vno");
  return {
    realm: readString(f.required(1, "realm"), WHAT),
    sname: readPrincipalName(f.required(2, "sname"), WHAT),
    encPart: readEncryptedData(f.required(3, "enc-part"), WHAT),
    der: new Uint8Array(node.valueBeforeDecodeView),
  };
}

export function decodeTicket(bytes: Uint8Array): Ticket {
  return readTicket(parseDer(bytes, WHAT));
}

/** The Ticket as a DER value: its received bytes when it has them. */
export function writeTicket(t: Omit<Ticket, "der"> & { der?: Uint8Array }): DerValue {
  if (t.der) return rawDer(t.der, WHAT);
  return application(
    MSG_TYPE.TICKET,
    taggedSequence([
      [0, integer(5)],
      [1, generalString(t.realm)],
      [2, writePrincipalName(t.sname)],
      [3, writeEncryptedData(t.encPart)],
    ]),
  );
}

export function encodeTicket(t: Omit<Ticket, "der">): Uint8Array {
  return encodeDer(writeTicket(t));
}

const WHAT_ENC = "EncTicketPart";

export function decodeEncTicketPart(bytes: Uint8Array): EncTicketPart {
  const f = new DerFields(
    unwrapApplication(parseDer(bytes, WHAT_ENC), MSG_TYPE.ENC_TICKET_PART, WHAT_ENC),
    WHAT_ENC,
  );
  const tr = new DerFields(f.required(4, "transited"), WHAT_ENC);
  return {
    flags: readFlags(f.required(0, "flags"), WHAT_ENC),
    key: readEncryptionKey(f.required(1, "key"), WHAT_ENC),
    crealm: readString(f.required(2, "crealm"), WHAT_ENC),
    cname: readPrincipalName(f.required(3, "cname"), WHAT_ENC),
    transited: {
      type: readInteger(tr.required(0, "tr-type"), WHAT_ENC),
      contents: readOctets(tr.required(1, "contents"), WHAT_ENC),
    },
    authTime: readTime(f.required(5, "authtime"), WHAT_ENC),
    startTime: optionalField(f.optional(6), (n) => readTime(n, WHAT_ENC)),
    endTime: readTime(f.required(7, "endtime"), WHAT_ENC),
    renewTill: optionalField(f.optional(8), (n) => readTime(n, WHAT_ENC)),
    caddr: optionalField(f.optional(9), (n) => readHostAddresses(n, WHAT_ENC)),
    authorizationData: optionalField(f.optional(10), (n) => readAuthorizationData(n, WHAT_ENC)),
  };
}

export function encodeEncTicketPart(p: EncTicketPart): Uint8Array {
  return encodeDer(
    application(
      MSG_TYPE.ENC_TICKET_PART,
      taggedSequence([
        [0, kerberosFlags(p.flags)],
        [1, writeEncryptionKey(p.key)],
        [2, generalString(p.crealm)],
        [3, writePrincipalName(p.cname)],
        [
          4,
          taggedSequence([
            [0, integer(p.transited.type)],
            [1, octets(p.transited.contents)],
          ]),
        ],
        [5, kerberosTime(p.authTime)],
        [6, p.startTime && kerberosTime(p.startTime)],
        [7, kerberosTime(p.endTime)],
        [8, p.renewTill && kerberosTime(p.renewTill)],
        [9, p.caddr && writeHostAddresses(p.caddr)],
        [10, p.authorizationData && writeAuthorizationData(p.authorizationData)],
      ]),
    ),
  );
}
