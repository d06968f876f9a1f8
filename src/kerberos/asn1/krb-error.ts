/**
 * KRB-ERROR [APPLICATION 30] (RFC 4120 §5.9.1): the KDC's or acceptor's refusal, with the error
 * code, optional text and e-data (METHOD-DATA for KDC_ERR_PREAUTH_REQUIRED).
 *
 * @module
 */
import type { PrincipalName } from "../principal.js";
import { readPrincipalName, writePrincipalName } from "./basic-types.js";
import { MSG_TYPE } from "./constants.js";
import {
  DerFields,
  expectInteger,
  optionalField,
  parseDer,
  readInteger,
  readOctets,
  readString,
  readTime,
  unwrapApplication,
} from "./der-read.js";
import {
  application,
  encodeDer,
  generalString,
  integer,
  kerberosTime,
  octets,
  taggedSequence,
} from "./der-write.js";

export interface KrbError {
  readonly ctime?: Date | undefined;
  readonly cusec?: number | undefined;
  readonly stime: Date;
  readonly susec: number;
  readonly errorCode: number;
  readonly crealm?: string | undefined;
  readonly cname?: PrincipalName | undefined;
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly eText?: string | undefined;
  readonly eData?: Uint8Array | undefined;
}

const WHAT = "KRB-ERROR";

export function encodeKrbError(e: KrbError): Uint8Array {
  return encodeDer(
    application(
      MSG_TYPE.KRB_ERROR,
      taggedSequence([
        [0, integer(5)],
        [1, integer(MSG_TYPE.KRB_ERROR)],
        [2, e.ctime && kerberosTime(e.ctime)],
        [3, e.cusec === undefined ? undefined : integer(e.cusec)],
        [4, kerberosTime(e.stime)],
        [5, integer(e.susec)],
        [6, integer(e.errorCode)],
        [7, e.crealm === undefined ? undefined : generalString(e.crealm)],
        [8, e.cname && writePrincipalName(e.cname)],
        [9, generalString(e.realm)],
        [10, writePrincipalName(e.sname)],
        [11, e.eText === undefined ? undefined : generalString(e.eText)],
        [12, e.eData && octets(e.eData)],
      ]),
    ),
  );
}

export function decodeKrbError(bytes: Uint8Array): KrbError {
  const f = new DerFields(unwrapApplication(parseDer(bytes, WHAT), MSG_TYPE.KRB_ERROR, WHAT), WHAT);
  expectInteger(f.required(0, "pvno"), 5, WHAT, "pvno");
  expectInteger(f.required(1, "msg-type"), MSG_TYPE.KRB_ERROR, WHAT, "msg-type");
  return {
    ctime: optionalField(f.optional(2), (n) => readTime(n, WHAT)),
    cusec: optionalField(f.optional(3), (n) => readInteger(n, WHAT)),
    stime: readTime(f.required(4, "stime"), WHAT),
    susec: readInteger(f.required(5, "susec"), WHAT),
    errorCode: readInteger(f.required(6, "error-code"), WHAT),
    crealm: optionalField(f.optional(7), (n) => readString(n, WHAT)),
    cname: optionalField(f.optional(8), (n) => readPrincipalName(n, WHAT)),
    realm: readString(f.required(9, "realm"), WHAT),
    sname: readPrincipalName(f.required(10, "sname"), WHAT),
    eText: optionalField(f.optional(11), (n) => readString(n, WHAT)),
    eData: optionalField(f.optional(12), (n) => readOctets(n, WHAT)),
  };
}
