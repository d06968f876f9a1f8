/**
 * One entry point per GSS operation for an established context, whatever its key: RFC 4121
 * tokens for the AES etypes, RFC 4757 tokens for rc4-hmac (whose sequence numbers are 32-bit).
 * What MakeSignature/VerifySignature/EncryptMessage/DecryptMessage will call.
 *
 * @module
 */
import { ETYPE } from "../crypto/encryption-type.js";
import { makeMic, verifyMic } from "./mic-token.js";
import type { PerMessageContext } from "./per-message-context.js";
import { makeRc4Mic, unwrapRc4, verifyRc4Mic, wrapRc4 } from "./rc4-tokens.js";
import { type Unwrapped, unwrap, type WrapOptions, wrap } from "./wrap-token.js";

const isRc4 = (ctx: PerMessageContext) => ctx.key.etype === ETYPE.RC4_HMAC;
const seq32 = (seq: bigint) => Number(seq & 0xffffffffn);

/** gss_get_mic. */
export function getMic(ctx: PerMessageContext, seq: bigint, message: Uint8Array): Uint8Array {
  return isRc4(ctx) ? makeRc4Mic(ctx, seq32(seq), message) : makeMic(ctx, seq, message);
}

/** gss_verify_mic: the token's sequence number, or a KerberosError. */
export function verifyMicToken(
  ctx: PerMessageContext,
  token: Uint8Array,
  message: Uint8Array,
): { seq: bigint } {
  if (!isRc4(ctx)) return verifyMic(ctx, token, message);
  return { seq: BigInt(verifyRc4Mic(ctx, token, message).seq) };
}

/** gss_wrap (RRC and EC apply to RFC 4121 tokens only). */
export function wrapMessage(
  ctx: PerMessageContext,
  seq: bigint,
  data: Uint8Array,
  options: WrapOptions,
): Uint8Array {
  return isRc4(ctx) ? wrapRc4(ctx, seq32(seq), data, options.confidential) : wrap(ctx, seq, data, options);
}

/** gss_unwrap. */
export function unwrapMessage(ctx: PerMessageContext, token: Uint8Array): Unwrapped {
  if (!isRc4(ctx)) return unwrap(ctx, token);
  const u = unwrapRc4(ctx, token);
  return { data: u.data, seq: BigInt(u.seq), confidential: u.confidential };
}
