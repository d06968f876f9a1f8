/**
 * Windows' buffer layout for Kerberos EncryptMessage/DecryptMessage (sealed RFC 4121 Wrap
 * tokens): the caller's data is encrypted in place and everything else goes to the
 * SECBUFFER_TOKEN — the 16-byte header, then, thanks to a right rotation (RRC) of
 * 16 (encrypted header copy) + the HMAC length, the encrypted header copy, the HMAC and the
 * encrypted confounder. With AES-SHA1 that is 16 + 28 + 16 = 60 bytes (cbSecurityTrailer is
 * reported larger; FreeRDP PR #8307). Joined back together, token ‖ data is an ordinary Wrap
 * token, which is how MIT reads what Windows sends.
 *
 * @module
 */
import { malformed } from "../errors.js";
import { type PerMessageContext, tokenEncryptionType } from "./per-message-context.js";
import { type Unwrapped, unwrap, wrap } from "./wrap-token.js";

const HEADER = 16;
const CONFOUNDER = 16;

/** The RRC that moves the encrypted header copy and the HMAC in front of the data. */
export function sspiRotation(ctx: PerMessageContext): number {
  return HEADER + tokenEncryptionType(ctx.key).checksumBytes;
}

/** Size of the SECBUFFER_TOKEN part of a sealed message. */
export function sspiTokenSize(ctx: PerMessageContext): number {
  return HEADER + sspiRotation(ctx) + CONFOUNDER;
}

/** Seals `data` (EC 0) and splits the Wrap token into the SECBUFFER_TOKEN and the data buffer. */
export function sealForSspi(
  ctx: PerMessageContext,
  seq: bigint,
  data: Uint8Array,
): { token: Uint8Array; data: Uint8Array } {
  const whole = wrap(ctx, seq, data, { confidential: true, rrc: sspiRotation(ctx) });
  const split = sspiTokenSize(ctx);
  return { token: whole.slice(0, split), data: whole.slice(split) };
}

/** Joins a SECBUFFER_TOKEN and its data buffer and unwraps them (any RRC the sender chose). */
export function unsealFromSspi(ctx: PerMessageContext, token: Uint8Array, data: Uint8Array): Unwrapped {
  if (token.length < HEADER)
    throw malformed("SECBUFFER_TOKEN", `${token.length} bytes, shorter than a Wrap header`);
  return unwrap(ctx, Buffer.concat([token, data]));
}
