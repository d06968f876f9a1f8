/**
 * Per-message tokens for rc4-hmac contexts (RFC 4757 §7.2–7.3, the RFC 1964 layout): GSS-framed
 * `TOK_ID ‖ SGN_ALG 11 00 ‖ …` with an 8-byte HMAC-MD5 checksum (key usage 15 for MIC, 13 for
 * Wrap), the sequence number and direction encrypted with RC4 under a key derived from that
 * checksum, and for sealed Wrap tokens the confounder and data RC4-encrypted under a key derived
 * from the context key ⊕ F0 and the sequence number. Data is padded with one byte (01).
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { rc4 } from "../../crypto/rc4.js";
import { rc4Hmac } from "../crypto/rc4-hmac.js";
import { KerberosError, malformed } from "../errors.js";
import { unwrapGssToken, wrapGssToken } from "./initial-context-token.js";
import type { PerMessageContext } from "./per-message-context.js";

const MIC_USAGE = 15;
const WRAP_USAGE = 13;
/** TOK_ID 01 01, SGN_ALG 11 00 (HMAC-MD5), filler. */
const MIC_HEADER = Uint8Array.of(0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff);

function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const h = createHmac("md5", key);
  for (const d of data) h.update(d);
  return h.digest();
}

const ZERO32 = new Uint8Array(4);

/**
 * SND_SEQ plaintext: seq (u32 BE) ‖ direction (00×4 from the initiator, FF×4 from the acceptor, as
 * RFC 1964 §1.2.1.2 and MIT have it; RFC 4757's pseudo-code shows the reverse).
 */
function sequenceField(seq: number, sentByAcceptor: boolean): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, seq >>> 0);
  if (sentByAcceptor) b.fill(0xff, 4);
  return b;
}

function checksum(key: Uint8Array, usage: number, ...parts: Uint8Array[]): Uint8Array {
  return rc4Hmac.checksum(key, usage, Buffer.concat(parts)).subarray(0, 8);
}

/** RC4 key for SND_SEQ: HMAC(HMAC(K, 0), SGN_CKSUM). */
function sequenceKey(key: Uint8Array, cksum: Uint8Array): Uint8Array {
  return hmacMd5(hmacMd5(key, ZERO32), cksum);
}

/** RC4 key for the data: HMAC(HMAC(K ⊕ F0, 0), seq as u32 BE). */
function dataKey(key: Uint8Array, seqField: Uint8Array): Uint8Array {
  const local = key.map((b) => b ^ 0xf0);
  return hmacMd5(hmacMd5(local, ZERO32), seqField.subarray(0, 4));
}

/** GSS framing (RFC 2743 §3.1) around a token whose first two bytes are its TOK_ID. */
function frame(body: Uint8Array): Uint8Array {
  return wrapGssToken((body[0]! << 8) | body[1]!, body.subarray(2));
}

/** The token body (TOK_ID included) inside the GSS framing. */
function unframe(token: Uint8Array): Uint8Array {
  const { tokId, inner } = unwrapGssToken(token);
  return Buffer.concat([Uint8Array.of(tokId >> 8, tokId & 0xff), inner]);
}

function checkKey(ctx: PerMessageContext): Uint8Array {
  if (ctx.key.etype !== rc4Hmac.etype)
    throw new KerberosError(
      "ERR_KRB_BAD_ARGUMENT",
      `RFC 4757 tokens need an rc4-hmac key, not etype ${ctx.key.etype}`,
    );
  return ctx.key.value;
}

/** Decrypts SND_SEQ and checks the direction; returns the sequence number and the plaintext field. */
function readSequence(ctx: PerMessageContext, key: Uint8Array, body: Uint8Array, what: string) {
  const seqField = rc4(sequenceKey(key, body.subarray(16, 24)), body.subarray(8, 16));
  const fromAcceptor = seqField.subarray(4).every((b) => b === 0xff);
  const fromInitiator = seqField.subarray(4).every((b) => b === 0);
  if (!fromAcceptor && !fromInitiator)
    throw new KerberosError("ERR_KRB_INTEGRITY", `${what} sequence field is garbled`);
  if (fromAcceptor === ctx.isAcceptor)
    throw new KerberosError("ERR_KRB_PROTOCOL", `${what} was sent in our own direction (reflected?)`);
  return { seq: new DataView(seqField.buffer, seqField.byteOffset, 4).getUint32(0), seqField };
}

/** RFC 4757 §7.2 MIC token. */
export function makeRc4Mic(ctx: PerMessageContext, seq: number, message: Uint8Array): Uint8Array {
  const key = checkKey(ctx);
  const header = MIC_HEADER;
  const cksum = checksum(key, MIC_USAGE, header, message);
  const encSeq = rc4(sequenceKey(key, cksum), sequenceField(seq, ctx.isAcceptor));
  return frame(Buffer.concat([header, encSeq, cksum]));
}

export function verifyRc4Mic(
  ctx: PerMessageContext,
  token: Uint8Array,
  message: Uint8Array,
): { seq: number } {
  const what = "RC4 MIC token";
  const key = checkKey(ctx);
  const body = unframe(token);
  if (body.length !== 24) throw malformed(what, `${body.length} bytes after the OID, expected 24`);
  const header = body.subarray(0, 8);
  if (!Buffer.from(header).equals(MIC_HEADER)) throw malformed(what, "unexpected header");
  const { seq } = readSequence(ctx, key, body, what);
  if (!timingSafeEqual(checksum(key, MIC_USAGE, header, message), body.subarray(16, 24)))
    throw new KerberosError("ERR_KRB_INTEGRITY", `${what} checksum does not verify`);
  return { seq };
}

/** RFC 4757 §7.3 Wrap token (sealed with RC4, or integrity only). */
export function wrapRc4(
  ctx: PerMessageContext,
  seq: number,
  data: Uint8Array,
  confidential: boolean,
): Uint8Array {
  const key = checkKey(ctx);
  const header = Uint8Array.of(
    0x02,
    0x01,
    0x11,
    0x00,
    ...(confidential ? [0x10, 0x00] : [0xff, 0xff]),
    0xff,
    0xff,
  );
  const seqField = sequenceField(seq, ctx.isAcceptor);
  const confounder = randomBytes(8);
  const padded = Buffer.concat([data, Uint8Array.of(1)]);
  const cksum = checksum(key, WRAP_USAGE, header, confounder, padded);
  const protectedPart = Buffer.concat([confounder, padded]);
  const sealed = confidential ? rc4(dataKey(key, seqField), protectedPart) : protectedPart;
  const encSeq = rc4(sequenceKey(key, cksum), seqField);
  return frame(Buffer.concat([header, encSeq, cksum, sealed]));
}

export function unwrapRc4(
  ctx: PerMessageContext,
  token: Uint8Array,
): { data: Uint8Array; seq: number; confidential: boolean } {
  const what = "RC4 Wrap token";
  const key = checkKey(ctx);
  const body = unframe(token);
  if (body.length < 32 + 1) throw malformed(what, "too short");
  const header = body.subarray(0, 8);
  const sealAlg = (header[4]! << 8) | header[5]!;
  if (header[0] !== 0x02 || header[1] !== 0x01 || header[2] !== 0x11 || header[3] !== 0x00)
    throw malformed(what, "unexpected TOK_ID or SGN_ALG");
  if (header[6] !== 0xff || header[7] !== 0xff) throw malformed(what, "filler is not FF FF");
  if (sealAlg !== 0x1000 && sealAlg !== 0xffff) throw malformed(what, `SEAL_ALG ${sealAlg.toString(16)}`);
  const confidential = sealAlg === 0x1000;
  const { seq, seqField } = readSequence(ctx, key, body, what);
  const rest = body.subarray(24);
  const plain = confidential ? rc4(dataKey(key, seqField), rest) : rest;
  const confounder = plain.subarray(0, 8);
  const padded = plain.subarray(8);
  if (!timingSafeEqual(checksum(key, WRAP_USAGE, header, confounder, padded), body.subarray(16, 24)))
    throw new KerberosError("ERR_KRB_INTEGRITY", `${what} checksum does not verify`);
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > 8 || pad > padded.length) throw malformed(what, `bad padding ${pad}`);
  return { data: new Uint8Array(padded.subarray(0, padded.length - pad)), seq, confidential };
}
