/**
 * Pre-authentication data (RFC 4120 §5.2.7): PA-ENC-TS-ENC (the encrypted timestamp),
 * ETYPE-INFO2 (which etype, salt and s2kparams the KDC wants for the password key) and
 * METHOD-DATA (the e-data of KDC_ERR_PREAUTH_REQUIRED).
 *
 * @module
 */
import { malformed } from "../errors.js";
import { type PaData, readPaDataList, writePaDataList } from "./basic-types.js";
import {
  DerFields,
  optionalField,
  parseDer,
  readInteger,
  readOctets,
  readString,
  readTime,
  sequenceItems,
} from "./der-read.js";
import {
  encodeDer,
  generalString,
  integer,
  kerberosTime,
  octets,
  sequenceOf,
  taggedSequence,
} from "./der-write.js";

export interface PaEncTsEnc {
  readonly timestamp: Date;
  readonly usec?: number | undefined;
}

export interface EtypeInfo2Entry {
  readonly etype: number;
  /** The salt as the KDC sent it; absent means the principal's default salt. */
  readonly salt?: string | undefined;
  readonly s2kparams?: Uint8Array | undefined;
}

export function encodePaEncTsEnc(ts: PaEncTsEnc): Uint8Array {
  return encodeDer(
    taggedSequence([
      [0, kerberosTime(ts.timestamp)],
      [1, ts.usec === undefined ? undefined : integer(ts.usec)],
    ]),
  );
}

export function decodePaEncTsEnc(bytes: Uint8Array): PaEncTsEnc {
  const what = "PA-ENC-TS-ENC";
  const f = new DerFields(parseDer(bytes, what), what);
  return {
    timestamp: readTime(f.required(0, "patimestamp"), what),
    usec: optionalField(f.optional(1), (n) => readInteger(n, what)),
  };
}

export function encodeEtypeInfo2(entries: readonly EtypeInfo2Entry[]): Uint8Array {
  return encodeDer(
    sequenceOf(
      entries.map((e) =>
        taggedSequence([
          [0, integer(e.etype)],
          [1, e.salt === undefined ? undefined : generalString(e.salt)],
          [2, e.s2kparams && octets(e.s2kparams)],
        ]),
      ),
    ),
  );
}

export function decodeEtypeInfo2(bytes: Uint8Array): EtypeInfo2Entry[] {
  const what = "ETYPE-INFO2";
  const items = sequenceItems(parseDer(bytes, what), what);
  if (items.length === 0) throw malformed(what, "empty");
  return items.map((item) => {
    const f = new DerFields(item, what);
    return {
      etype: readInteger(f.required(0, "etype"), what),
      salt: optionalField(f.optional(1), (n) => readString(n, what)),
      s2kparams: optionalField(f.optional(2), (n) => readOctets(n, what)),
    };
  });
}

/** METHOD-DATA: a SEQUENCE OF PA-DATA. */
export function decodeMethodData(bytes: Uint8Array): PaData[] {
  return readPaDataList(parseDer(bytes, "METHOD-DATA"), "METHOD-DATA");
}

export function encodeMethodData(list: readonly PaData[]): Uint8Array {
  return encodeDer(writePaDataList(list));
}
