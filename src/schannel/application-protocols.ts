/**
 * `SECBUFFER_APPLICATION_PROTOCOLS` payloads (`SEC_APPLICATION_PROTOCOLS`), little-endian as on
 * Windows:
 *
 * ```
 * u32 ProtocolListsSize                 // bytes that follow
 * { u32 ProtoNegoExt (2 = ALPN); u16 ProtocolListSize; u8 ProtocolList[] }…
 * ProtocolList = { u8 length; bytes }…  // preferred first
 * ```
 *
 * @module
 */
import {
  SECBUFFER_APPLICATION_PROTOCOLS,
  SecApplicationProtocolNegotiationExt_ALPN,
} from "../sspi/buffer-types.js";
import type { SecBuffer } from "../sspi/types.js";

/** Builds an input buffer offering `protocols` (ALPN ids, preferred first). Throws `RangeError` for an empty or over-long id. */
export function applicationProtocolsBuffer(protocols: readonly string[]): SecBuffer {
  const ids = protocols.map((p) => Buffer.from(p, "utf8"));
  for (const id of ids) {
    if (id.byteLength === 0 || id.byteLength > 255) throw new RangeError("ALPN ids are 1 to 255 bytes");
  }
  const listSize = ids.reduce((n, id) => n + 1 + id.byteLength, 0);
  const bytes = new Uint8Array(4 + 4 + 2 + listSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 4 + 2 + listSize, true);
  view.setUint32(4, SecApplicationProtocolNegotiationExt_ALPN, true);
  view.setUint16(8, listSize, true);
  let offset = 10;
  for (const id of ids) {
    bytes[offset++] = id.byteLength;
    bytes.set(id, offset);
    offset += id.byteLength;
  }
  return { BufferType: SECBUFFER_APPLICATION_PROTOCOLS, cbBuffer: bytes.byteLength, pvBuffer: bytes };
}

/**
 * Reads the ALPN ids from a `SEC_APPLICATION_PROTOCOLS` payload (NPN lists are skipped).
 *
 * @returns the ids, preferred first, or `{ error }` describing the malformation.
 */
export function parseApplicationProtocols(bytes: Uint8Array): string[] | { error: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) return { error: "shorter than its 4-byte size field" };
  const total = view.getUint32(0, true);
  if (4 + total > bytes.byteLength) return { error: "ProtocolListsSize exceeds the buffer" };
  const protocols: string[] = [];
  let offset = 4;
  const end = 4 + total;
  while (offset < end) {
    if (offset + 6 > end) return { error: "truncated SEC_APPLICATION_PROTOCOL_LIST header" };
    const ext = view.getUint32(offset, true);
    const size = view.getUint16(offset + 4, true);
    offset += 6;
    if (offset + size > end) return { error: "ProtocolListSize exceeds the buffer" };
    const listEnd = offset + size;
    while (offset < listEnd) {
      const length = bytes[offset] ?? 0;
      if (length === 0 || offset + 1 + length > listEnd) return { error: "malformed protocol id" };
      if (ext === SecApplicationProtocolNegotiationExt_ALPN) {
        protocols.push(Buffer.from(bytes.subarray(offset + 1, offset + 1 + length)).toString("utf8"));
      }
      offset += 1 + length;
    }
  }
  return protocols;
}
