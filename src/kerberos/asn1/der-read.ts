/**
 * Strict DER reading on top of `asn1js`: a whole-input parse (no trailing bytes, no indefinite
 * lengths, no constructed strings), tag checks, and typed readers for the ASN.1 types Kerberos
 * uses (RFC 4120 §5). Every violation is an `ERR_KRB_MALFORMED` {@link KerberosError} naming
 * the message, never an exception from the parser.
 *
 * @module
 */
import * as asn1js from "asn1js";
import { malformed } from "../errors.js";

export type DerNode = asn1js.AsnType;

/** asn1js tag classes. */
export const TAG_CLASS = { UNIVERSAL: 1, APPLICATION: 2, CONTEXT: 3 } as const;

/** Universal tag numbers used by Kerberos. */
export const UNIVERSAL = {
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  OID: 6,
  ENUMERATED: 10,
  SEQUENCE: 16,
  GENERALIZED_TIME: 24,
  GENERAL_STRING: 27,
} as const;

function headerLength(node: DerNode): number {
  return node.idBlock.blockLength + node.lenBlock.blockLength;
}

/** The content octets of a primitive node, exactly as received. */
export function contentOf(node: DerNode): Uint8Array {
  return new Uint8Array(node.valueBeforeDecodeView.subarray(headerLength(node)));
}

/** The parsed elements inside a constructed node (asn1js keeps other things there for some types). */
function children(node: DerNode): DerNode[] {
  const value = (node.valueBlock as unknown as { value?: unknown }).value;
  if (!Array.isArray(value)) return [];
  return value.filter(
    (v): v is DerNode =>
      typeof v === "object" &&
      v !== null &&
      "idBlock" in v &&
      "lenBlock" in v &&
      "valueBeforeDecodeView" in v,
  );
}

function checkDefinite(node: DerNode, what: string): void {
  if (node.lenBlock.isIndefiniteForm) throw malformed(what, "indefinite length (not DER)");
  if (node.idBlock.isConstructed) for (const child of children(node)) checkDefinite(child, what);
}

/** Parses exactly one DER value filling all of `bytes`. */
export function parseDer(bytes: Uint8Array, what: string): DerNode {
  let result: ReturnType<typeof asn1js.fromBER>;
  try {
    result = asn1js.fromBER(new Uint8Array(bytes));
  } catch (e) {
    throw malformed(what, `unparseable DER (${(e as Error).message})`);
  }
  if (result.offset === -1) throw malformed(what, `bad DER: ${result.result.error || "cannot parse"}`);
  if (result.offset !== bytes.length) throw malformed(what, `${bytes.length - result.offset} trailing bytes`);
  checkDefinite(result.result, what);
  return result.result;
}

function describeTag(node: DerNode): string {
  const cls = ["?", "UNIVERSAL", "APPLICATION", "CONTEXT", "PRIVATE"][node.idBlock.tagClass] ?? "?";
  return `[${cls} ${node.idBlock.tagNumber}]`;
}

/** Checks class, number and form of `node`'s tag. */
export function expectTag(
  node: DerNode,
  tagClass: number,
  tagNumber: number,
  constructed: boolean,
  what: string,
): void {
  const id = node.idBlock;
  if (id.tagClass !== tagClass || id.tagNumber !== tagNumber || id.isConstructed !== constructed)
    throw malformed(
      what,
      `expected [${["?", "UNIVERSAL", "APPLICATION", "CONTEXT"][tagClass]} ${tagNumber}], got ${describeTag(node)}`,
    );
}

/** The single value inside an `[APPLICATION n]` wrapper. */
export function unwrapApplication(node: DerNode, n: number, what: string): DerNode {
  expectTag(node, TAG_CLASS.APPLICATION, n, true, what);
  const inner = children(node);
  if (inner.length !== 1) throw malformed(what, `[APPLICATION ${n}] holds ${inner.length} values`);
  return inner[0]!;
}

/** The elements of a SEQUENCE / SEQUENCE OF. */
export function sequenceItems(node: DerNode, what: string): DerNode[] {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.SEQUENCE, true, what);
  return children(node);
}

/**
 * The `[n] EXPLICIT` fields of a SEQUENCE: each present once, in increasing tag order. Unknown
 * higher tags are kept (RFC 4120 extensibility) but never required.
 */
export class DerFields {
  private readonly byTag = new Map<number, DerNode>();

  constructor(
    node: DerNode,
    private readonly what: string,
  ) {
    let last = -1;
    for (const field of sequenceItems(node, what)) {
      const id = field.idBlock;
      if (id.tagClass !== TAG_CLASS.CONTEXT || !id.isConstructed)
        throw malformed(what, `unexpected ${describeTag(field)} in a SEQUENCE of tagged fields`);
      if (id.tagNumber <= last) throw malformed(what, `field [${id.tagNumber}] out of order or repeated`);
      last = id.tagNumber;
      const inner = children(field);
      if (inner.length !== 1) throw malformed(what, `field [${id.tagNumber}] holds ${inner.length} values`);
      this.byTag.set(id.tagNumber, inner[0]!);
    }
  }

  required(tag: number, name: string): DerNode {
    const node = this.byTag.get(tag);
    if (!node) throw malformed(this.what, `required field ${name} [${tag}] is missing`);
    return node;
  }

  optional(tag: number): DerNode | undefined {
    return this.byTag.get(tag);
  }
}

/** An INTEGER that fits a JavaScript number (Int32, UInt32, Microseconds, …), minimally encoded. */
export function readInteger(node: DerNode, what: string): number {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.INTEGER, false, what);
  const c = contentOf(node);
  if (c.length === 0 || c.length > 6) throw malformed(what, `INTEGER of ${c.length} bytes`);
  if (c.length > 1 && ((c[0] === 0 && c[1]! < 0x80) || (c[0] === 0xff && c[1]! >= 0x80)))
    throw malformed(what, "INTEGER not minimally encoded");
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return c[0]! >= 0x80 ? v - 256 ** c.length : v;
}

/** A KerberosString (GeneralString, UTF-8 in practice). */
export function readString(node: DerNode, what: string): string {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.GENERAL_STRING, false, what);
  return new TextDecoder("utf-8").decode(contentOf(node));
}

/** An OCTET STRING (primitive, as DER requires). */
export function readOctets(node: DerNode, what: string): Uint8Array {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.OCTET_STRING, false, what);
  return contentOf(node);
}

/** A KerberosTime: GeneralizedTime `YYYYMMDDHHMMSSZ`, no fractions (RFC 4120 §5.2.3). */
export function readTime(node: DerNode, what: string): Date {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.GENERALIZED_TIME, false, what);
  const s = new TextDecoder("latin1").decode(contentOf(node));
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw malformed(what, `KerberosTime "${s}" is not YYYYMMDDHHMMSSZ`);
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
  if (date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d!)
    throw malformed(what, `invalid date "${s}"`);
  return date;
}

/** KerberosFlags: a BIT STRING of at least 32 bits, as a 32-bit number (bit 0 = 0x80000000). */
export function readFlags(node: DerNode, what: string): number {
  expectTag(node, TAG_CLASS.UNIVERSAL, UNIVERSAL.BIT_STRING, false, what);
  const c = contentOf(node);
  if (c.length < 1 || c[0]! > 7) throw malformed(what, "bad BIT STRING");
  const bits = new Uint8Array(4);
  bits.set(c.subarray(1, 5));
  return new DataView(bits.buffer).getUint32(0);
}

/** Reads an INTEGER that must equal `expected` (pvno 5, msg-type, …). */
export function expectInteger(node: DerNode, expected: number, what: string, name: string): void {
  const v = readInteger(node, what);
  if (v !== expected) throw malformed(what, `${name} is ${v}, expected ${expected}`);
}

/** Runs `read` on `node` when the OPTIONAL field is present. */
export function optionalField<T>(node: DerNode | undefined, read: (n: DerNode) => T): T | undefined {
  return node === undefined ? undefined : read(node);
}
