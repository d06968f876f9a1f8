/**
 * EncryptMessage and DecryptMessage over the direct record layer, with Schannel's buffer rules.
 *
 * Encrypt: `[SECBUFFER_STREAM_HEADER, SECBUFFER_DATA, SECBUFFER_STREAM_TRAILER, SECBUFFER_EMPTY]`
 * (found by type), encrypted in place: the header and trailer buffers' `cbBuffer` become the
 * bytes used, the data buffer holds the ciphertext. Send header + data + trailer, in order.
 *
 * Decrypt: one `SECBUFFER_DATA` buffer holding received bytes and three `SECBUFFER_EMPTY`
 * buffers. One record is processed per call and decrypted in place; the DATA buffer becomes
 * `SECBUFFER_STREAM_HEADER` (a view of the record header), and the EMPTY buffers become
 * `SECBUFFER_DATA` (a view of the plaintext, possibly 0 bytes), `SECBUFFER_STREAM_TRAILER`, and
 * `SECBUFFER_EXTRA` (a view of the unprocessed bytes after the record, when there are any).
 * A partial record returns `SEC_E_INCOMPLETE_MESSAGE` and turns the first EMPTY buffer into
 * `SECBUFFER_MISSING` with the number of bytes still needed; nothing else changes.
 *
 * @module
 */
import {
  bufferKind,
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_STREAM_HEADER,
  SECBUFFER_STREAM_TRAILER,
} from "../sspi/buffer-types.js";
import type { Outcome } from "../sspi/security-package.js";
import {
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_I_RENEGOTIATE,
} from "../sspi/status.js";
import type { SecBuffer, SecBufferDesc } from "../sspi/types.js";
import type { DirectRecordLayer, PostHandshakeMessage } from "./record/record-layer.js";
import { splitRecords } from "./records/record-header.js";

function find(buffers: SecBuffer[], type: number): SecBuffer | undefined {
  return buffers.find((b) => bufferKind(b.BufferType) === type);
}

/**
 * Encrypts the DATA buffer in place as one record.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_TOKEN` (no DATA, STREAM_HEADER or STREAM_TRAILER buffer);
 *   `SEC_E_BUFFER_TOO_SMALL` (header or trailer smaller than the stream sizes);
 *   `SEC_E_INVALID_PARAMETER` (more than `cbMaximumMessage` bytes of data);
 *   `SEC_E_CONTEXT_EXPIRED` (after close_notify was sent, after any fatal error — the peer's
 *   fatal alert included: the context is dead in both directions —, or while output from
 *   DecryptMessage's `SEC_I_RENEGOTIATE` has not been taken by ISC/ASC yet).
 */
export function encryptMessage(layer: DirectRecordLayer, message: SecBufferDesc): Outcome {
  const buffers = message.pBuffers.slice(0, message.cBuffers);
  const header = find(buffers, SECBUFFER_STREAM_HEADER);
  const data = find(buffers, SECBUFFER_DATA);
  const trailer = find(buffers, SECBUFFER_STREAM_TRAILER);
  if (!header?.pvBuffer || !data || !trailer?.pvBuffer) {
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "EncryptMessage needs STREAM_HEADER, DATA and STREAM_TRAILER buffers",
    };
  }
  if (layer.failed) {
    return {
      status: SEC_E_CONTEXT_EXPIRED,
      reason: "the connection failed (a fatal alert was sent or received): it is closed in both directions",
    };
  }
  if (layer.hasPendingOutput) {
    return {
      status: SEC_E_CONTEXT_EXPIRED,
      reason:
        "DecryptMessage returned SEC_I_RENEGOTIATE: call InitializeSecurityContext/AcceptSecurityContext to send its output first",
    };
  }
  const sizes = layer.streamSizes;
  if (data.cbBuffer > sizes.cbMaximumMessage) {
    return {
      status: SEC_E_INVALID_PARAMETER,
      reason: `DATA holds ${data.cbBuffer} bytes; at most ${sizes.cbMaximumMessage} per record`,
    };
  }
  if (header.cbBuffer < sizes.cbHeader || trailer.cbBuffer < sizes.cbTrailer) {
    return {
      status: SEC_E_BUFFER_TOO_SMALL,
      reason: `STREAM_HEADER needs ${sizes.cbHeader} bytes and STREAM_TRAILER ${sizes.cbTrailer}`,
    };
  }
  const plaintext = data.pvBuffer?.subarray(0, data.cbBuffer) ?? new Uint8Array(0);
  const result = layer.encryptInPlace(
    header.pvBuffer.subarray(0, header.cbBuffer),
    plaintext,
    trailer.pvBuffer.subarray(0, trailer.cbBuffer),
  );
  if (!result.ok)
    return {
      status: result.status,
      reason: result.reason,
      ...(result.alert !== null && !result.remote && { alertSent: result.alert }),
    };
  header.cbBuffer = result.headerLength;
  trailer.cbBuffer = result.trailerLength;
  return { status: SEC_E_OK };
}

/** What DecryptMessage learned besides plaintext, for the context to act on. */
export interface DecryptEvents {
  /** TLS 1.3 NewSessionTicket messages (whole messages), for session resumption. */
  tickets: Uint8Array[];
}

/**
 * Decrypts one record in place.
 *
 * @returns `SEC_E_OK` (data, possibly 0 bytes: also for tickets and warnings);
 *   `SEC_I_RENEGOTIATE` (a KeyUpdate answer or `no_renegotiation` alert is waiting: call ISC/ASC
 *   with empty input to get it; any data buffers are still valid); `SEC_I_CONTEXT_EXPIRED` (the
 *   peer sent close_notify); `SEC_E_INCOMPLETE_MESSAGE` (with `SECBUFFER_MISSING`);
 *   `SEC_E_INVALID_TOKEN` (no DATA buffer, or fewer than three EMPTY buffers, or bytes that are
 *   not a TLS record); `SEC_E_MESSAGE_ALTERED` (authentication failed; a bad_record_mac alert is
 *   waiting for ISC/ASC); `SEC_E_DECRYPT_FAILURE`; `SEC_E_ILLEGAL_MESSAGE` (a fatal alert from the
 *   peer, or an illegal post-handshake message); `SEC_E_CONTEXT_EXPIRED` (after close_notify or a
 *   failure).
 */
export function decryptMessage(
  layer: DirectRecordLayer,
  message: SecBufferDesc,
  events: DecryptEvents,
): Outcome {
  const buffers = message.pBuffers.slice(0, message.cBuffers);
  const data = find(buffers, SECBUFFER_DATA);
  const empties = buffers.filter((b) => bufferKind(b.BufferType) === SECBUFFER_EMPTY);
  if (!data?.pvBuffer)
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "DecryptMessage needs a SECBUFFER_DATA buffer with the received bytes",
    };
  if (empties.length < 3)
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "DecryptMessage needs three SECBUFFER_EMPTY buffers after the DATA buffer",
    };
  const bytes = data.pvBuffer.subarray(0, data.cbBuffer);
  const split = splitRecords(bytes);
  const first = split.records[0];
  if (first === undefined) {
    if (split.error !== undefined)
      return { status: SEC_E_INVALID_TOKEN, reason: `not a TLS record (${split.error})` };
    const missing = empties[0]!;
    missing.BufferType = SECBUFFER_MISSING;
    missing.cbBuffer = split.missing;
    missing.pvBuffer = null;
    return {
      status: SEC_E_INCOMPLETE_MESSAGE,
      reason: `${split.missing} more bytes are needed to complete the record`,
    };
  }
  const record = bytes.subarray(0, first.length);
  const result = layer.decryptRecord(record);
  if (!result.ok) {
    return {
      status: result.status,
      reason: result.reason,
      ...(result.alert !== null &&
        (result.remote ? { alertReceived: result.alert } : { alertSent: result.alert })),
    };
  }
  const headerLength = layer.streamSizes.cbHeader;
  let plaintextLength = 0;
  if (result.kind === "data") {
    record.set(result.plaintext, headerLength);
    plaintextLength = result.plaintext.byteLength;
  } else if (result.kind === "handshake") {
    collectTickets(result.messages, events);
  }
  const [plain, trail, extra] = empties as [SecBuffer, SecBuffer, SecBuffer];
  data.BufferType = SECBUFFER_STREAM_HEADER;
  data.cbBuffer = headerLength;
  data.pvBuffer = record.subarray(0, headerLength);
  plain.BufferType = SECBUFFER_DATA;
  plain.cbBuffer = plaintextLength;
  plain.pvBuffer = record.subarray(headerLength, headerLength + plaintextLength);
  trail.BufferType = SECBUFFER_STREAM_TRAILER;
  trail.cbBuffer = record.byteLength - headerLength - plaintextLength;
  trail.pvBuffer = record.subarray(headerLength + plaintextLength);
  if (bytes.byteLength > record.byteLength) {
    extra.BufferType = SECBUFFER_EXTRA;
    extra.cbBuffer = bytes.byteLength - record.byteLength;
    extra.pvBuffer = bytes.subarray(record.byteLength);
  }
  if (result.kind === "closed") return { status: result.status };
  if (layer.hasPendingOutput) return { status: SEC_I_RENEGOTIATE };
  return { status: SEC_E_OK };
}

function collectTickets(messages: readonly PostHandshakeMessage[], events: DecryptEvents): void {
  for (const m of messages) if (m.kind === "ticket") events.tickets.push(m.message);
}
