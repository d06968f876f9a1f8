/**
 * The wire format of MIT's gss-sample programs (`gss-client`, `gss-server`, the UNIX twins of the
 * SSPI SDK sample): each token is `flags (1 byte) ‖ length (u32 big-endian) ‖ token`
 * (krb5 `src/appl/gss-sample/gss-misc.c`).
 *
 * @module
 */
import type { SocketReader } from "../../support/peers.js";

export const TOKEN_NOOP = 1;
export const TOKEN_CONTEXT = 2;
export const TOKEN_DATA = 4;
export const TOKEN_MIC = 8;
export const TOKEN_CONTEXT_NEXT = 16;
export const TOKEN_WRAPPED = 32;
export const TOKEN_ENCRYPTED = 64;
export const TOKEN_SEND_MIC = 128;

export function frame(flags: number, token: Uint8Array): Uint8Array {
  const out = Buffer.alloc(5 + token.length);
  out[0] = flags;
  out.writeUInt32BE(token.length, 1);
  out.set(token, 5);
  return out;
}

/** Reads one framed token. */
export async function readToken(reader: SocketReader): Promise<{ flags: number; token: Uint8Array }> {
  while (reader.available.length < 5) {
    if (reader.ended) throw new Error("gss-sample peer closed the connection");
    await reader.more(reader.available.length);
  }
  const length = reader.available.readUInt32BE(1);
  while (reader.available.length < 5 + length) {
    if (reader.ended) throw new Error("gss-sample peer closed mid-token");
    await reader.more(reader.available.length);
  }
  const flags = reader.available[0]!;
  const token = new Uint8Array(reader.available.subarray(5, 5 + length));
  reader.take(5 + length);
  return { flags, token };
}
