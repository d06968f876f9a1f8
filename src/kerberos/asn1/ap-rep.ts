/**
 * AP-REP [APPLICATION 15] and EncAPRepPart [APPLICATION 27] (RFC 4120 §5.5.2): the acceptor's
 * proof for mutual authentication (key usage 12), with its optional subkey and sequence number.
 *
 * @module
 */
import {
  type EncryptedData,
  type EncryptionKey,
  readEncryptedData,
  readEncryptionKey,
  writeEncryptedData,
  writeEncryptionKey,
} from "./basic-types.js";
import { MSG_TYPE } from "./constants.js";
import {
  DerFields,
  expectInteger,
  optionalField,
  parseDer,
  readInteger,
  readTime,
  unwrapApplication,
} from "./der-read.js";
import { application, encodeDer, integer, kerberosTime, taggedSequence } from "./der-write.js";

export interface ApRep {
  readonly encPart: EncryptedData;
}

export interface EncApRepPart {
  readonly ctime: Date;
  readonly cusec: number;
  readonly subkey?: EncryptionKey | undefined;
  readonly seqNumber?: number | undefined;
}

const WHAT = "AP-REP";

export function encodeApRep(rep: ApRep): Uint8Array {
  return encodeDer(
    application(
      MSG_TYPE.AP_REP,
      taggedSequence([
        [0, integer(5)],
        [1, integer(MSG_TYPE.AP_REP)],
        [2, writeEncryptedData(rep.encPart)],
      ]),
    ),
  );
}

export function decodeApRep(bytes: Uint8Array): ApRep {
  const f = new DerFields(unwrapApplication(parseDer(bytes, WHAT), MSG_TYPE.AP_REP, WHAT), WHAT);
  expectInteger(f.required(0, "pvno"), 5, WHAT, "pvno");
  expectInteger(f.required(1, "msg-type"), MSG_TYPE.AP_REP, WHAT, "msg-type");
  return { encPart: readEncryptedData(f.required(2, "enc-part"), WHAT) };
}

const WHAT_ENC = "EncAPRepPart";

export function encodeEncApRepPart(p: EncApRepPart): Uint8Array {
  return encodeDer(
    application(
      MSG_TYPE.ENC_AP_REP_PART,
      taggedSequence([
        [0, kerberosTime(p.ctime)],
        [1, integer(p.cusec)],
        [2, p.subkey && writeEncryptionKey(p.subkey)],
        [3, p.seqNumber === undefined ? undefined : integer(p.seqNumber)],
      ]),
    ),
  );
}

export function decodeEncApRepPart(bytes: Uint8Array): EncApRepPart {
  const f = new DerFields(
    unwrapApplication(parseDer(bytes, WHAT_ENC), MSG_TYPE.ENC_AP_REP_PART, WHAT_ENC),
    WHAT_ENC,
  );
  return {
    ctime: readTime(f.required(0, "ctime"), WHAT_ENC),
    cusec: readInteger(f.required(1, "cusec"), WHAT_ENC),
    subkey: optionalField(f.optional(2), (n) => readEncryptionKey(n, WHAT_ENC)),
    seqNumber: optionalField(f.optional(3), (n) => readInteger(n, WHAT_ENC)),
  };
}
