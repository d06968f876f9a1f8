/**
 * DER writing for Kerberos messages with `asn1js` building blocks: SEQUENCEs of `[n] EXPLICIT`
 * fields, `[APPLICATION n]` wrappers, and the primitive types encoded exactly as RFC 4120 §5
 * wants them (minimal INTEGERs, UTF-8 GeneralStrings, `YYYYMMDDHHMMSSZ` times, 32-bit flags).
 *
 * @module
 */
import * as asn1js from "asn1js";
import { TAG_CLASS, UNIVERSAL } from "./der-read.js";

export type DerValue = asn1js.AsnType;

function primitive(tagNumber: number, content: Uint8Array): DerValue {
  return new asn1js.Primitive({ idBlock: { tagClass: TAG_CLASS.UNIVERSAL, tagNumber }, valueHex: content });
}

/** A SEQUENCE of `[tag] EXPLICIT` fields; `undefined` values (absent OPTIONAL fields) are left out. */
export function taggedSequence(fields: ReadonlyArray<readonly [number, DerValue | undefined]>): DerValue {
  return new asn1js.Sequence({
    value: fields
      .filter((f): f is readonly [number, DerValue] => f[1] !== undefined)
      .map(([tag, value]) => explicit(tag, value)),
  });
}

/** `[tag] EXPLICIT value` (context class). */
export function explicit(tag: number, value: DerValue): DerValue {
  return new asn1js.Constructed({ idBlock: { tagClass: TAG_CLASS.CONTEXT, tagNumber: tag }, value: [value] });
}

/** `[APPLICATION tag] value`. */
export function application(tag: number, value: DerValue): DerValue {
  return new asn1js.Constructed({
    idBlock: { tagClass: TAG_CLASS.APPLICATION, tagNumber: tag },
    value: [value],
  });
}

/** A SEQUENCE OF the given values. */
export function sequenceOf(values: readonly DerValue[]): DerValue {
  return new asn1js.Sequence({ value: [...values] });
}

/** A minimally encoded INTEGER (any safe integer, negative ones included). */
export function integer(n: number): DerValue {
  if (!Number.isSafeInteger(n)) throw new RangeError(`INTEGER ${n} is not a safe integer`);
  const bytes: number[] = [];
  let v = BigInt(n);
  for (;;) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
    const top = bytes[0]!;
    if ((v === 0n && top < 0x80) || (v === -1n && top >= 0x80)) break;
  }
  return primitive(UNIVERSAL.INTEGER, Uint8Array.from(bytes));
}

/** A KerberosString: GeneralString holding UTF-8. */
export function generalString(s: string): DerValue {
  return primitive(UNIVERSAL.GENERAL_STRING, new TextEncoder().encode(s));
}

/** An OCTET STRING. */
export function octets(b: Uint8Array): DerValue {
  return primitive(UNIVERSAL.OCTET_STRING, b);
}

/** A KerberosTime (whole seconds, UTC). */
export function kerberosTime(d: Date): DerValue {
  const s = d
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  return primitive(UNIVERSAL.GENERALIZED_TIME, new TextEncoder().encode(s));
}

/** KerberosFlags: a 32-bit BIT STRING (bit 0 = 0x80000000), as MIT and Windows send them. */
export function kerberosFlags(flags: number): DerValue {
  const c = new Uint8Array(5);
  new DataView(c.buffer).setUint32(1, flags >>> 0);
  return primitive(UNIVERSAL.BIT_STRING, c);
}

/** DER bytes of `value`. */
export function encodeDer(value: DerValue): Uint8Array {
  return new Uint8Array(value.toBER(false));
}
