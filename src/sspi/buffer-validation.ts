/**
 * Validation of caller-supplied `SecBufferDesc`s, and the copy of ISC/ASC input made when a
 * call is queued. Bad descriptors get a status, never an exception.
 *
 * @module
 */

import { bufferKind, isReadOnlyBuffer, SECBUFFER_FLAGS, SECBUFFER_VERSION } from "./buffer-types.js";
import { copyBytes } from "./bytes.js";
import type { InputBuffer, Outcome } from "./security-package.js";
import { SEC_E_INVALID_PARAMETER, SEC_E_INVALID_TOKEN, SEC_E_OK } from "./status.js";
import type { SecBuffer, SecBufferDesc } from "./types.js";

/** The most buffers a descriptor may hold (ksecdd refuses more than 18 output buffers). */
export const MAX_BUFFERS = 18;

export type ValidatedBuffers = Outcome & { buffers: SecBuffer[] };

/** A caller's value in a reason (objects without a usable toString, symbols: their type). */
const show = (value: unknown): string => (typeof value === "number" ? String(value) : typeof value);

/**
 * Checks a descriptor: `ulVersion` 0, `cBuffers` an integer within `pBuffers.length` and
 * {@link MAX_BUFFERS}, every buffer `{ BufferType, cbBuffer, pvBuffer }` with integer type and
 * size, `pvBuffer` a `Uint8Array` or null, and `cbBuffer <= pvBuffer.byteLength`. An output
 * buffer with a null `pvBuffer` (to be allocated) may have any `cbBuffer`.
 *
 * @returns `SEC_E_OK` and the `cBuffers` buffers; `SEC_E_INVALID_TOKEN` with a reason for a
 *   malformed descriptor or buffer; `SEC_E_INVALID_PARAMETER` for more than 18 buffers.
 */
export function validateBufferDesc(desc: unknown, direction: "input" | "output"): ValidatedBuffers {
  const fail = (reason: string, status = SEC_E_INVALID_TOKEN): ValidatedBuffers => ({
    status,
    reason: `${direction} SecBufferDesc: ${reason}`,
    buffers: [],
  });
  if (typeof desc !== "object" || desc === null) return fail("not an object");
  const { ulVersion, cBuffers, pBuffers } = desc as Partial<SecBufferDesc>;
  if (ulVersion !== SECBUFFER_VERSION)
    return fail(`ulVersion must be SECBUFFER_VERSION (0), got ${show(ulVersion)}`);
  if (!Array.isArray(pBuffers)) return fail("pBuffers is not an array");
  if (
    typeof cBuffers !== "number" ||
    !Number.isInteger(cBuffers) ||
    cBuffers < 0 ||
    cBuffers > pBuffers.length
  ) {
    return fail(
      `cBuffers (${show(cBuffers)}) must be an integer from 0 to pBuffers.length (${pBuffers.length})`,
    );
  }
  if (cBuffers > MAX_BUFFERS) return fail(`more than ${MAX_BUFFERS} buffers`, SEC_E_INVALID_PARAMETER);
  for (let i = 0; i < cBuffers; i++) {
    const b = pBuffers[i] as SecBuffer | null | undefined;
    if (typeof b !== "object" || b === null) return fail(`pBuffers[${i}] is not an object`);
    const { BufferType, cbBuffer, pvBuffer } = b;
    if (typeof BufferType !== "number" || !Number.isInteger(BufferType)) {
      return fail(`pBuffers[${i}].BufferType is not an integer`);
    }
    if (
      typeof cbBuffer !== "number" ||
      !Number.isInteger(cbBuffer) ||
      cbBuffer < 0 ||
      cbBuffer > 0xffff_ffff
    ) {
      return fail(`pBuffers[${i}].cbBuffer (${show(cbBuffer)}) is not an unsigned 32-bit integer`);
    }
    if (pvBuffer === null || pvBuffer === undefined) {
      if (direction === "input" && cbBuffer > 0 && bufferKind(BufferType) !== 4 /* MISSING */) {
        return fail(`pBuffers[${i}] has cbBuffer ${cbBuffer} but no pvBuffer`);
      }
      continue;
    }
    if (!(pvBuffer instanceof Uint8Array)) return fail(`pBuffers[${i}].pvBuffer is not a Uint8Array or null`);
    if (cbBuffer > pvBuffer.byteLength) {
      return fail(
        `pBuffers[${i}].cbBuffer (${cbBuffer}) exceeds pvBuffer.byteLength (${pvBuffer.byteLength})`,
      );
    }
  }
  return { status: SEC_E_OK, buffers: pBuffers.slice(0, cBuffers) };
}

/** The input of an ISC/ASC call as copied at queue time. */
export interface CopiedInput extends Outcome {
  input: InputBuffer[];
  /** Flags at bit 32 and above from a `SECBUFFER_FLAGS` buffer. */
  flagsHigh: bigint;
}

/**
 * Copies the bytes of every input buffer (the caller may reuse its memory once the call is
 * queued) and extracts a `SECBUFFER_FLAGS` buffer.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_PARAMETER` for a `SECBUFFER_FLAGS` buffer that is not 8
 *   bytes or has any of its low 32 bits set; `SEC_E_INVALID_TOKEN` for two `SECBUFFER_FLAGS`.
 */
export function copyInputBuffers(buffers: readonly SecBuffer[]): CopiedInput {
  const input: InputBuffer[] = [];
  let flagsHigh: bigint | null = null;
  for (const b of buffers) {
    const type = bufferKind(b.BufferType);
    const bytes = b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.subarray(0, b.cbBuffer);
    if (type === SECBUFFER_FLAGS) {
      if (flagsHigh !== null)
        return { status: SEC_E_INVALID_TOKEN, reason: "two SECBUFFER_FLAGS buffers", input, flagsHigh: 0n };
      if (bytes.byteLength !== 8) {
        return {
          status: SEC_E_INVALID_PARAMETER,
          reason: "SECBUFFER_FLAGS must be 8 bytes",
          input,
          flagsHigh: 0n,
        };
      }
      const flags = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
      if ((flags & 0xffff_ffffn) !== 0n) {
        return {
          status: SEC_E_INVALID_PARAMETER,
          reason: "SECBUFFER_FLAGS: the low 32 bits must be zero (they belong in fContextReq)",
          input,
          flagsHigh: 0n,
        };
      }
      flagsHigh = flags;
      continue;
    }
    input.push({ type, readOnly: isReadOnlyBuffer(b.BufferType), data: copyBytes(bytes) });
  }
  return { status: SEC_E_OK, input, flagsHigh: flagsHigh ?? 0n };
}

/** True for an unsigned 32-bit integer (how `fContextReq` and similar arguments are checked). */
export function isUint32(value: unknown): value is number {
  return (
    typeof value === "number" && Number.isInteger(value) && value >= -0x8000_0000 && value <= 0xffff_ffff
  );
}
