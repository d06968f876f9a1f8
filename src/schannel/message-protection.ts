/**
 * EncryptMessage and DecryptMessage on OpenSSL's record layer ({@link NativeRecordLayer}), with
 * Schannel's buffer rules.
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
import { TLS1_ALERT_RECORD_OVERFLOW } from "../sspi/schannel-constants.js";
import type { Outcome } from "../sspi/security-package.js";
import {
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_RENEGOTIATE,
} from "../sspi/status.js";
import type { SecBuffer, SecBufferDesc } from "../sspi/types.js";
import type { NativeRecordLayer } from "./native/native-records.js";
import {
  isKnownContentType,
  MAX_CIPHERTEXT_LENGTH,
  MAX_CIPHERTEXT_LENGTH_TLS12,
  RECORD_HEADER_LENGTH,
  splitRecords,
} from "./records/record-header.js";
import { alertFields } from "./tls-alert.js";

/** Largest TLSInnerPlaintext (RFC 8446 §5.4): 2^14 of content plus the content type; padding counts. */
const MAX_INNER_PLAINTEXT = 16384 + 1;

const EMPTY = new Uint8Array(0);

function find(buffers: readonly SecBuffer[], type: number): SecBuffer | undefined {
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i]!;
    if (bufferKind(b.BufferType) === type) return b;
  }
  return undefined;
}

/** The first `length` bytes of `bytes` (`bytes` itself when that is all of it: no new view). */
function prefix(bytes: Uint8Array, length: number): Uint8Array {
  return bytes.byteLength === length ? bytes : bytes.subarray(0, length);
}

/** The `cBuffers` buffers of `message` (the array itself when it holds exactly those). */
function buffersOf(message: SecBufferDesc): readonly SecBuffer[] {
  return message.pBuffers.length === message.cBuffers
    ? message.pBuffers
    : message.pBuffers.slice(0, message.cBuffers);
}

/**
 * Length of the first record of `bytes` when it is complete and its header valid under `limit`
 * (the common case, without allocating), else -1: {@link splitRecords} then says why.
 */
function completeRecordLength(bytes: Uint8Array, limit: number): number {
  if (bytes.length < RECORD_HEADER_LENGTH) return -1;
  if (!isKnownContentType(bytes[0]!) || bytes[1] !== 3) return -1;
  const length = (bytes[3]! << 8) | bytes[4]!;
  if (length > limit || bytes.length < RECORD_HEADER_LENGTH + length) return -1;
  return RECORD_HEADER_LENGTH + length;
}

/**
 * Encrypts the DATA buffer in place as one record (one `SSL_write`). Empty DATA writes nothing
 * (OpenSSL sends no empty record): the header and trailer `cbBuffer` become 0.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_TOKEN` (no DATA, STREAM_HEADER or STREAM_TRAILER buffer);
 *   `SEC_E_BUFFER_TOO_SMALL` (header or trailer smaller than the stream sizes);
 *   `SEC_E_INVALID_PARAMETER` (more than `cbMaximumMessage` bytes of data);
 *   `SEC_E_CONTEXT_EXPIRED` (after close_notify was sent, after any fatal error — the peer's
 *   fatal alert included: the context is dead in both directions —, or while output from
 *   DecryptMessage's `SEC_I_RENEGOTIATE` has not been taken by ISC/ASC yet).
 */
export function encryptMessage(layer: NativeRecordLayer, message: SecBufferDesc): Outcome {
  const buffers = buffersOf(message);
  const header = find(buffers, SECBUFFER_STREAM_HEADER);
  const data = find(buffers, SECBUFFER_DATA);
  const trailer = find(buffers, SECBUFFER_STREAM_TRAILER);
  if (!header?.pvBuffer || !data || !trailer?.pvBuffer) {
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "EncryptMessage needs STREAM_HEADER, DATA and STREAM_TRAILER buffers",
    };
  }
  const sizes = layer.streamSizes;
  if (
    data.cbBuffer > sizes.cbMaximumMessage ||
    header.cbBuffer < sizes.cbHeader ||
    trailer.cbBuffer < sizes.cbTrailer
  ) {
    return refuseEncrypt(layer, data.cbBuffer, sizes);
  }
  // The record layer checks, in this order, what the size checks above come after: a dead
  // connection, then output from SEC_I_RENEGOTIATE still waiting (one native call in all).
  const plaintext = data.pvBuffer ? prefix(data.pvBuffer, data.cbBuffer) : EMPTY;
  const result = layer.encryptInPlace(
    prefix(header.pvBuffer, sizes.cbHeader),
    plaintext,
    prefix(trailer.pvBuffer, trailer.cbBuffer),
  );
  if (!result.ok) return { status: result.status, reason: result.reason, ...alertFields(result.alerts) };
  header.cbBuffer = result.headerLength;
  trailer.cbBuffer = result.trailerLength;
  return { status: SEC_E_OK };
}

/** EncryptMessage with buffers of the wrong size: a dead or waiting connection says so first. */
function refuseEncrypt(
  layer: NativeRecordLayer,
  dataLength: number,
  sizes: NativeRecordLayer["streamSizes"],
): Outcome {
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
  if (dataLength > sizes.cbMaximumMessage) {
    return {
      status: SEC_E_INVALID_PARAMETER,
      reason: `DATA holds ${dataLength} bytes; at most ${sizes.cbMaximumMessage} per record`,
    };
  }
  return {
    status: SEC_E_BUFFER_TOO_SMALL,
    reason: `STREAM_HEADER needs ${sizes.cbHeader} bytes and STREAM_TRAILER ${sizes.cbTrailer}`,
  };
}

/**
 * Decrypts one record in place (one `SSL_read` over exactly that record).
 *
 * @returns `SEC_E_OK` (data, possibly 0 bytes: also for tickets, KeyUpdates and warning alerts,
 *   whose description is in `alertReceived`); `SEC_I_RENEGOTIATE` (OpenSSL wrote an answer — a
 *   KeyUpdate or a `no_renegotiation` warning — that must be sent: call ISC/ASC with empty input
 *   to get it; any data buffers are still valid); `SEC_I_CONTEXT_EXPIRED` (the peer sent
 *   close_notify); `SEC_E_INCOMPLETE_MESSAGE` (with `SECBUFFER_MISSING`); `SEC_E_INVALID_TOKEN`
 *   (no DATA buffer, or fewer than three EMPTY buffers, or bytes that are not a TLS record);
 *   `SEC_E_MESSAGE_ALTERED` (authentication failed; OpenSSL's bad_record_mac alert waits for
 *   ISC/ASC); `SEC_E_DECRYPT_FAILURE` (record_overflow, decode_error); `SEC_E_ILLEGAL_MESSAGE` (a
 *   fatal alert from the peer, or a record OpenSSL refuses with another alert);
 *   `SEC_E_CONTEXT_EXPIRED` (after close_notify was received, or after a failure).
 */
export function decryptMessage(layer: NativeRecordLayer, message: SecBufferDesc): Outcome {
  const buffers = buffersOf(message);
  let data: SecBuffer | undefined;
  let plain: SecBuffer | undefined;
  let trail: SecBuffer | undefined;
  let extra: SecBuffer | undefined;
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i]!;
    const kind = bufferKind(b.BufferType);
    if (kind === SECBUFFER_DATA) data ??= b;
    else if (kind === SECBUFFER_EMPTY) {
      if (plain === undefined) plain = b;
      else if (trail === undefined) trail = b;
      else extra ??= b;
    }
  }
  if (!data?.pvBuffer)
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "DecryptMessage needs a SECBUFFER_DATA buffer with the received bytes",
    };
  if (plain === undefined || trail === undefined || extra === undefined)
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "DecryptMessage needs three SECBUFFER_EMPTY buffers after the DATA buffer",
    };
  const bytes = prefix(data.pvBuffer, data.cbBuffer);
  const limit = layer.tls13 ? MAX_CIPHERTEXT_LENGTH : MAX_CIPHERTEXT_LENGTH_TLS12;
  let recordLength = completeRecordLength(bytes, limit);
  if (recordLength < 0) {
    // Not a whole first record (the common case is): splitRecords says what is wrong or missing.
    const split = splitRecords(bytes, limit);
    const first = split.records[0];
    if (first !== undefined) {
      recordLength = first.length;
    } else if (split.error === "record_overflow") {
      // OpenSSL answers a length beyond the version's limit from the header: record_overflow.
      recordLength = RECORD_HEADER_LENGTH;
    } else if (split.error !== undefined) {
      return { status: SEC_E_INVALID_TOKEN, reason: `not a TLS record (${split.error})` };
    } else {
      const count = split.missing > 0 ? split.missing : RECORD_HEADER_LENGTH;
      plain.BufferType = SECBUFFER_MISSING;
      plain.cbBuffer = count;
      plain.pvBuffer = null;
      return {
        status: SEC_E_INCOMPLETE_MESSAGE,
        reason: `${count} more bytes are needed to complete the record`,
      };
    }
  }
  if (
    layer.tls13 &&
    recordLength - RECORD_HEADER_LENGTH > MAX_INNER_PLAINTEXT + layer.streamSizes.cbTrailer - 1
  ) {
    // RFC 8446 §5.4: a TLSInnerPlaintext over 2^14 + 1 bytes (content, type and padding) is
    // record_overflow. With the suites allowed (16-byte tags) its size is the record's minus the
    // tag; OpenSSL only checks the content without padding.
    const refused = layer.refuse(
      TLS1_ALERT_RECORD_OVERFLOW,
      SEC_E_DECRYPT_FAILURE,
      `record of ${recordLength - RECORD_HEADER_LENGTH} bytes: its inner plaintext exceeds 2^14 + 1 bytes`,
    );
    return { status: refused.status, reason: refused.reason, ...alertFields(refused.alerts) };
  }
  const record = prefix(bytes, recordLength);
  const headerLength = Math.min(layer.streamSizes.cbHeader, recordLength);
  const result = layer.decryptRecord(record, record.subarray(headerLength));
  const alerts = result.alerts;
  if (!result.ok) {
    return { status: result.status, reason: result.reason, ...alertFields(alerts) };
  }
  const plaintextLength = result.kind === "data" ? result.length : 0;
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
  if (alerts.length === 0 && result.kind === "data" && !result.pendingOutput) return { status: SEC_E_OK };
  const fields = alertFields(alerts);
  if (result.kind === "closed")
    return { status: SEC_I_CONTEXT_EXPIRED, reason: "the peer sent close_notify", ...fields };
  if (result.pendingOutput) return { status: SEC_I_RENEGOTIATE, ...fields };
  return { status: SEC_E_OK, ...fields };
}
