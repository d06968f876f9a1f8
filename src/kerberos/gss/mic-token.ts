/**
 * RFC 4121 §4.2.6.1 MIC tokens (`gss_get_mic`, SSPI MakeSignature): header `04 04 ‖ Flags ‖
 * FF×5 ‖ SND_SEQ (u64 BE)` followed by the checksum of `message ‖ header` (key usage
 * KG-USAGE-{ACCEPTOR,INITIATOR}-SIGN).
 *
 * @module
 */
import { KerberosError, malformed } from "../errors.js";
import {
  checkPeerFlags,
  ourFlags,
  type PerMessageContext,
  tokenEncryptionType,
  tokenUsage,
} from "./per-message-context.js";

const HEADER = 16;

function header(flags: number, seq: bigint): Uint8Array {
  const h = new Uint8Array(HEADER);
  h.set([0x04, 0x04, flags, 0xff, 0xff, 0xff, 0xff, 0xff]);
  new DataView(h.buffer).setBigUint64(8, seq);
  return h;
}

/** The MIC token of `message` with sequence number `seq`. */
export function makeMic(ctx: PerMessageContext, seq: bigint, message: Uint8Array): Uint8Array {
  const e = tokenEncryptionType(ctx.key);
  const h = header(ourFlags(ctx), seq);
  const cksum = e.checksum(ctx.key.value, tokenUsage("sign", ctx.isAcceptor), Buffer.concat([message, h]));
  return Buffer.concat([h, cksum]);
}

/**
 * Verifies the peer's MIC token over `message`; returns its sequence number. Throws
 * `ERR_KRB_MALFORMED` (framing), `ERR_KRB_PROTOCOL` (direction/subkey flags) or
 * `ERR_KRB_INTEGRITY` (checksum).
 */
export function verifyMic(ctx: PerMessageContext, token: Uint8Array, message: Uint8Array): { seq: bigint } {
  const what = "MIC token";
  const e = tokenEncryptionType(ctx.key);
  if (token.length !== HEADER + e.checksumBytes)
    throw malformed(what, `${token.length} bytes, expected ${HEADER + e.checksumBytes}`);
  if (token[0] !== 0x04 || token[1] !== 0x04) throw malformed(what, "TOK_ID is not 04 04");
  if (!token.subarray(3, 8).every((b) => b === 0xff)) throw malformed(what, "filler is not FF");
  const flags = token[2]!;
  checkPeerFlags(ctx, flags, what);
  const h = token.subarray(0, HEADER);
  const usage = tokenUsage("sign", !ctx.isAcceptor);
  if (!e.verifyChecksum(ctx.key.value, usage, Buffer.concat([message, h]), token.subarray(HEADER)))
    throw new KerberosError("ERR_KRB_INTEGRITY", "MIC token checksum does not verify");
  return { seq: new DataView(token.buffer, token.byteOffset + 8, 8).getBigUint64(0) };
}
