/**
 * `EncryptMessage` and `DecryptMessage` with Schannel's stream buffer layouts, for
 * `TlsContext`: sealing any amount of plaintext as a run of records in one allocation, and
 * opening one record of received bytes in place.
 *
 * @module
 */
import {
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_STREAM_HEADER,
  SECBUFFER_STREAM_TRAILER,
} from "../sspi/buffer-types.js";
import { DecryptMessage, EncryptMessage } from "../sspi/context-functions.js";
import type { SecHandle } from "../sspi/handles.js";
import { SEC_E_OK, type SECURITY_STATUS } from "../sspi/status.js";
import { type SecBufferDesc, secBuffer, secBufferDesc } from "../sspi/types.js";
import { EMPTY } from "./bytes.js";
import type { StreamSizes } from "./tls-attributes.js";

/** What {@link sealRecords} produced: every record sealed, or those before a failure. */
export interface SealOutcome {
  status: SECURITY_STATUS;
  /** The records, in order (on failure: the ones sealed before it). */
  records: Uint8Array;
}

/**
 * Seals `plaintext` as application_data records of at most `cbMaximumMessage` bytes each:
 * `[STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY]` per record, laid out back to back in one
 * buffer and encrypted in place (compacted if a record used less header than reserved).
 *
 * @returns `SEC_E_OK` with all records, or the first `EncryptMessage` failure with the records
 *   sealed before it.
 */
export function sealRecords(handle: SecHandle, sizes: StreamSizes, plaintext: Uint8Array): SealOutcome {
  const { cbHeader, cbTrailer, cbMaximumMessage } = sizes;
  const count = Math.ceil(plaintext.byteLength / cbMaximumMessage);
  const out = new Uint8Array(plaintext.byteLength + count * (cbHeader + cbTrailer));
  let written = 0;
  for (let offset = 0; offset < plaintext.byteLength; offset += cbMaximumMessage) {
    const chunk = plaintext.subarray(offset, offset + cbMaximumMessage);
    const length = chunk.byteLength;
    const dataStart = written + cbHeader;
    const trailerStart = dataStart + length;
    out.set(chunk, dataStart);
    const desc = secBufferDesc(
      { BufferType: SECBUFFER_STREAM_HEADER, cbBuffer: cbHeader, pvBuffer: out.subarray(written, dataStart) },
      { BufferType: SECBUFFER_DATA, cbBuffer: length, pvBuffer: out.subarray(dataStart, trailerStart) },
      {
        BufferType: SECBUFFER_STREAM_TRAILER,
        cbBuffer: cbTrailer,
        pvBuffer: out.subarray(trailerStart, trailerStart + cbTrailer),
      },
      secBuffer(SECBUFFER_EMPTY),
    );
    const status = EncryptMessage(handle, 0, desc, 0);
    if (status !== SEC_E_OK) return { status, records: out.slice(0, written) };
    const headerUsed = desc.pBuffers[0]!.cbBuffer;
    const trailerUsed = desc.pBuffers[2]!.cbBuffer;
    if (headerUsed !== cbHeader) out.copyWithin(written + headerUsed, dataStart, trailerStart + trailerUsed);
    written += headerUsed + length + trailerUsed;
  }
  return { status: SEC_E_OK, records: written === out.byteLength ? out : out.subarray(0, written) };
}

/** What {@link openRecord} found. */
export interface OpenOutcome {
  status: SECURITY_STATUS;
  /** The record's plaintext (a view into the input; possibly empty). */
  plaintext: Uint8Array;
  /** The bytes after the record (a view into the input; possibly empty). */
  extra: Uint8Array;
  /** With `SEC_E_INCOMPLETE_MESSAGE`: bytes still needed (0 if unknown). */
  missing: number;
}

function find(desc: SecBufferDesc, type: number) {
  return desc.pBuffers.find((b) => b.BufferType === type);
}

/**
 * `DecryptMessage` on `[DATA (bytes), EMPTY, EMPTY, EMPTY]`: opens the first record of `bytes`
 * in place (`bytes` is overwritten).
 *
 * @returns the status (`SEC_E_OK`, `SEC_E_INCOMPLETE_MESSAGE`, `SEC_I_RENEGOTIATE`,
 *   `SEC_I_CONTEXT_EXPIRED`, or a failure) with the plaintext, the bytes after the record, and
 *   the MISSING count.
 */
export function openRecord(handle: SecHandle, bytes: Uint8Array): OpenOutcome {
  const desc = secBufferDesc(
    secBuffer(SECBUFFER_DATA, bytes),
    secBuffer(SECBUFFER_EMPTY),
    secBuffer(SECBUFFER_EMPTY),
    secBuffer(SECBUFFER_EMPTY),
  );
  const status = DecryptMessage(handle, desc, 0, null);
  const data = find(desc, SECBUFFER_DATA);
  const extra = find(desc, SECBUFFER_EXTRA);
  return {
    status,
    plaintext: data?.pvBuffer && data.cbBuffer > 0 ? data.pvBuffer.subarray(0, data.cbBuffer) : EMPTY,
    extra: extra?.pvBuffer ? extra.pvBuffer.subarray(0, extra.cbBuffer) : EMPTY,
    missing: find(desc, SECBUFFER_MISSING)?.cbBuffer ?? 0,
  };
}
