/**
 * Reading the server random from the plaintext ServerHello. The TLS 1.2 key block and exporter
 * need it and no Node API returns it, but the handshake bytes the server sent are at hand.
 *
 * @module
 */
import {
  CONTENT_HANDSHAKE,
  HANDSHAKE_HEADER_LENGTH,
  HANDSHAKE_SERVER_HELLO,
  RECORD_HEADER_LENGTH,
} from "./record-constants.js";

/** Offset of `random` in a ServerHello message, handshake header included: type(1) length(3) legacy_version(2). */
const RANDOM_OFFSET = HANDSHAKE_HEADER_LENGTH + 2;
const RANDOM_LENGTH = 32;

/**
 * Finds the ServerHello at the start of the server's byte stream and returns its 32-byte random.
 * Leading plaintext handshake records are reassembled, so a ServerHello coalesced with other
 * messages or fragmented over several records is found too.
 *
 * @param serverBytes - bytes the server sent, from the first byte of the connection (any chunking).
 * @returns a copy of the random, or `null` when the stream does not start with plaintext handshake
 *   records holding a ServerHello (not enough bytes yet, an alert, or garbage).
 */
export function serverRandomFromServerHello(serverBytes: Uint8Array): Uint8Array | null {
  const handshake: Uint8Array[] = [];
  let have = 0;
  let offset = 0;
  while (have < RANDOM_OFFSET + RANDOM_LENGTH) {
    if (offset + RECORD_HEADER_LENGTH > serverBytes.length) return null;
    if (serverBytes[offset] !== CONTENT_HANDSHAKE) return null;
    const length = (serverBytes[offset + 3]! << 8) | serverBytes[offset + 4]!;
    const end = offset + RECORD_HEADER_LENGTH + length;
    if (end > serverBytes.length) return null;
    handshake.push(serverBytes.subarray(offset + RECORD_HEADER_LENGTH, end));
    have += length;
    offset = end;
  }
  const message = Buffer.concat(handshake);
  if (message[0] !== HANDSHAKE_SERVER_HELLO) return null;
  return Uint8Array.from(message.subarray(RANDOM_OFFSET, RANDOM_OFFSET + RANDOM_LENGTH));
}
