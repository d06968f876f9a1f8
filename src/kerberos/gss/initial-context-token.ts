/**
 * The GSS-API token framing (RFC 2743 §3.1, RFC 4121 §4.1): `0x60 ‖ DER length ‖ mech OID ‖
 * TOK_ID (2 bytes) ‖ inner token`. Written by hand because the two TOK_ID bytes are not ASN.1 (a
 * generic DER parser misreads them). Kerberos TOK_IDs: AP-REQ 01 00, AP-REP 02 00, KRB-ERROR 03 00.
 *
 * @module
 */
import { malformed } from "../errors.js";

/** DER of OID 1.2.840.113554.1.2.2 (Kerberos 5, RFC 4121). */
export const KRB5_OID_DER = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02);
/** DER of OID 1.2.840.48018.1.2.2 (the Microsoft Kerberos OID Windows also sends). */
export const MS_KRB5_OID_DER = Uint8Array.of(
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x82,
  0xf7,
  0x12,
  0x01,
  0x02,
  0x02,
);

export const TOK_ID = {
  AP_REQ: 0x0100,
  AP_REP: 0x0200,
  KRB_ERROR: 0x0300,
} as const;

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Frames `inner` (an AP-REQ, AP-REP or KRB-ERROR) as a GSS token with the Kerberos OID. */
export function wrapGssToken(tokId: number, inner: Uint8Array, oid: Uint8Array = KRB5_OID_DER): Uint8Array {
  const body = Buffer.concat([oid, Uint8Array.of(tokId >> 8, tokId & 0xff), inner]);
  return Buffer.concat([Uint8Array.of(0x60), derLength(body.length), body]);
}

export interface GssToken {
  /** Which of the two Kerberos OIDs framed it (DER bytes). */
  readonly oid: Uint8Array;
  readonly tokId: number;
  readonly inner: Uint8Array;
}

/** Unframes a GSS token; `ERR_KRB_MALFORMED` when the framing, length or OID is wrong. */
export function unwrapGssToken(token: Uint8Array): GssToken {
  const what = "GSS Kerberos token";
  if (token.length < 2 || token[0] !== 0x60) throw malformed(what, "does not start with [APPLICATION 0]");
  let offset = 2;
  let length = token[1]!;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || token.length < 2 + n) throw malformed(what, "bad length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + token[2 + i]!;
    if (length < 0x80 || (n > 1 && token[2] === 0)) throw malformed(what, "length not minimally encoded");
    offset = 2 + n;
  }
  if (offset + length !== token.length)
    throw malformed(what, `length ${length} does not match ${token.length - offset} bytes`);
  const oid = [KRB5_OID_DER, MS_KRB5_OID_DER].find((o) =>
    Buffer.from(token.subarray(offset, offset + o.length)).equals(o),
  );
  if (!oid) throw malformed(what, "not the Kerberos 5 mechanism OID");
  offset += oid.length;
  if (token.length < offset + 2) throw malformed(what, "no TOK_ID");
  return { oid, tokId: (token[offset]! << 8) | token[offset + 1]!, inner: token.slice(offset + 2) };
}
