/**
 * RFC 4121 §4.2.6.2 Wrap tokens (`gss_wrap`, SSPI EncryptMessage): header `05 04 ‖ Flags ‖ FF ‖
 * EC (u16) ‖ RRC (u16) ‖ SND_SEQ (u64)`, then
 * - sealed: `E(data ‖ EC filler bytes ‖ header with RRC 0)` (key usage KG-USAGE-*-SEAL);
 * - integrity only: `data ‖ checksum(data ‖ header with EC = RRC = 0)`, EC = checksum length;
 * the part after the header rotated right by RRC (Windows sends RRC 28 sealed and 12 unsealed
 * with AES-SHA1; receivers must honour any RRC).
 *
 * @module
 */
import { KerberosError, malformed } from "../errors.js";
import {
  checkPeerFlags,
  ourFlags,
  type PerMessageContext,
  TOKEN_FLAGS,
  tokenEncryptionType,
  tokenUsage,
} from "./per-message-context.js";

const HEADER = 16;

export interface WrapOptions {
  /** Encrypt (GSS conf_req_flag); integrity only otherwise. */
  readonly confidential: boolean;
  /** Right rotation count; 0 by default. */
  readonly rrc?: number;
  /** Extra filler bytes before the encrypted header copy (sealed only); 0 by default. */
  readonly ec?: number;
}

function header(flags: number, ec: number, rrc: number, seq: bigint): Uint8Array {
  const h = new Uint8Array(HEADER);
  const v = new DataView(h.buffer);
  h.set([0x05, 0x04, flags, 0xff]);
  v.setUint16(4, ec);
  v.setUint16(6, rrc);
  v.setBigUint64(8, seq);
  return h;
}

/** `bytes` rotated right by `n` (the last n bytes move to the front). */
export function rotateRight(bytes: Uint8Array, n: number): Uint8Array {
  if (bytes.length === 0) return bytes;
  const r = n % bytes.length;
  return Buffer.concat([bytes.subarray(bytes.length - r), bytes.subarray(0, bytes.length - r)]);
}

function rotateLeft(bytes: Uint8Array, n: number): Uint8Array {
  if (bytes.length === 0) return bytes;
  return rotateRight(bytes, bytes.length - (n % bytes.length));
}

/** The Wrap token of `data` with sequence number `seq`. */
export function wrap(
  ctx: PerMessageContext,
  seq: bigint,
  data: Uint8Array,
  options: WrapOptions,
): Uint8Array {
  const e = tokenEncryptionType(ctx.key);
  const rrc = options.rrc ?? 0;
  const usage = tokenUsage("seal", ctx.isAcceptor);
  if (options.confidential) {
    const ec = options.ec ?? 0;
    const flags = ourFlags(ctx) | TOKEN_FLAGS.SEALED;
    const plaintext = Buffer.concat([data, new Uint8Array(ec), header(flags, ec, 0, seq)]);
    const ciphertext = e.encrypt(ctx.key.value, usage, plaintext);
    return Buffer.concat([header(flags, ec, rrc, seq), rotateRight(ciphertext, rrc)]);
  }
  const flags = ourFlags(ctx);
  const cksum = e.checksum(ctx.key.value, usage, Buffer.concat([data, header(flags, 0, 0, seq)]));
  return Buffer.concat([
    header(flags, cksum.length, rrc, seq),
    rotateRight(Buffer.concat([data, cksum]), rrc),
  ]);
}

export interface Unwrapped {
  readonly data: Uint8Array;
  readonly seq: bigint;
  readonly confidential: boolean;
}

/**
 * Unwraps the peer's Wrap token (any RRC). Throws `ERR_KRB_MALFORMED` (framing),
 * `ERR_KRB_PROTOCOL` (direction/subkey flags) or `ERR_KRB_INTEGRITY` (tampered, wrong key).
 */
export function unwrap(ctx: PerMessageContext, token: Uint8Array): Unwrapped {
  const what = "Wrap token";
  const e = tokenEncryptionType(ctx.key);
  if (token.length < HEADER) throw malformed(what, `${token.length} bytes, shorter than the header`);
  if (token[0] !== 0x05 || token[1] !== 0x04) throw malformed(what, "TOK_ID is not 05 04");
  if (token[3] !== 0xff) throw malformed(what, "filler is not FF");
  const flags = token[2]!;
  checkPeerFlags(ctx, flags, what);
  const v = new DataView(token.buffer, token.byteOffset, token.byteLength);
  const ec = v.getUint16(4);
  const rrc = v.getUint16(6);
  const seq = v.getBigUint64(8);
  const body = rotateLeft(token.subarray(HEADER), rrc);
  const usage = tokenUsage("seal", !ctx.isAcceptor);
  if (flags & TOKEN_FLAGS.SEALED) {
    const plaintext = e.decrypt(ctx.key.value, usage, body);
    if (plaintext.length < HEADER + ec) throw malformed(what, "decrypted data shorter than EC + header");
    const copy = plaintext.subarray(plaintext.length - HEADER);
    const received = token.subarray(0, HEADER);
    const same = copy.every((b, i) => i === 6 || i === 7 || b === received[i]);
    if (!same)
      throw new KerberosError("ERR_KRB_INTEGRITY", "Wrap token header differs from its encrypted copy");
    return { data: plaintext.slice(0, plaintext.length - HEADER - ec), seq, confidential: true };
  }
  if (ec !== e.checksumBytes) throw malformed(what, `EC is ${ec}, the checksum is ${e.checksumBytes} bytes`);
  if (body.length < ec) throw malformed(what, "shorter than its checksum");
  const data = body.subarray(0, body.length - ec);
  const h = header(flags, 0, 0, seq);
  if (!e.verifyChecksum(ctx.key.value, usage, Buffer.concat([data, h]), body.subarray(body.length - ec)))
    throw new KerberosError("ERR_KRB_INTEGRITY", "Wrap token checksum does not verify");
  return { data: new Uint8Array(data), seq, confidential: false };
}
