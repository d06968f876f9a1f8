/**
 * Writes an ISC/ASC result into the caller's buffers at completion, as Schannel does:
 * `SECBUFFER_EXTRA` (a view of the caller's unconsumed input tail) or `SECBUFFER_MISSING` in
 * the first input buffer that was `SECBUFFER_EMPTY`; outputs into the caller's output buffers
 * of the same type, either allocated (`*_REQ_ALLOCATE_MEMORY`) or copied into the caller's
 * memory, with `SEC_E_BUFFER_TOO_SMALL` when they do not fit.
 *
 * @module
 */

import {
  bufferKind,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_TOKEN,
} from "./buffer-types.js";
import { copyBytes } from "./bytes.js";
import { contextBuffers } from "./context-buffers.js";
import type { ContextResult } from "./security-package.js";
import { SEC_E_BUFFER_TOO_SMALL, SEC_E_INCOMPLETE_MESSAGE, type SECURITY_STATUS } from "./status.js";
import type { SecBuffer } from "./types.js";

/** The caller's input as seen at queue time: which buffers to rewrite, and the token's bytes. */
export interface InputSnapshot {
  /** The caller's first `SECBUFFER_EMPTY` input buffer object, if any. */
  readonly emptyBuffer: SecBuffer | null;
  /** The caller's first `SECBUFFER_TOKEN` input bytes (`pvBuffer` view of `cbBuffer` bytes). */
  readonly token: Uint8Array | null;
}

/** Records which caller buffers a completion will rewrite. */
export function snapshotInput(buffers: readonly SecBuffer[]): InputSnapshot {
  let emptyBuffer: SecBuffer | null = null;
  let token: Uint8Array | null = null;
  for (const b of buffers) {
    const kind = bufferKind(b.BufferType);
    if (kind === SECBUFFER_EMPTY && emptyBuffer === null) emptyBuffer = b;
    if (kind === SECBUFFER_TOKEN && token === null)
      token = b.pvBuffer?.subarray(0, b.cbBuffer) ?? new Uint8Array(0);
  }
  return { emptyBuffer, token };
}

/** Rewrites the caller's input buffers for `EXTRA` / `MISSING`. */
export function writeInputResult(snapshot: InputSnapshot, result: ContextResult): void {
  const target = snapshot.emptyBuffer;
  if (target === null) return;
  if (result.status === SEC_E_INCOMPLETE_MESSAGE && result.missing > 0) {
    target.BufferType = SECBUFFER_MISSING;
    target.cbBuffer = result.missing;
    target.pvBuffer = null;
  } else if (result.extra > 0 && snapshot.token !== null) {
    const extra = Math.min(result.extra, snapshot.token.byteLength);
    target.BufferType = SECBUFFER_EXTRA;
    target.cbBuffer = extra;
    target.pvBuffer = snapshot.token.subarray(snapshot.token.byteLength - extra);
  }
}

/**
 * Places the result's outputs in the caller's output buffers.
 *
 * @returns the result's status, or `SEC_E_BUFFER_TOO_SMALL` when an output did not fit a
 *   caller-supplied buffer; then that buffer's `cbBuffer` is the size needed and nothing was
 *   written into it.
 */
export function writeOutputResult(
  outputs: readonly SecBuffer[],
  result: ContextResult,
  allocate: boolean,
): SECURITY_STATUS {
  const used = new Set<SecBuffer>();
  let status = result.status;
  for (const out of result.outputs) {
    const target = outputs.find((b) => !used.has(b) && bufferKind(b.BufferType) === out.type);
    if (target === undefined) continue;
    used.add(target);
    if (allocate) {
      target.pvBuffer = contextBuffers.track(copyBytes(out.data));
      target.cbBuffer = out.data.byteLength;
    } else if (target.pvBuffer !== null && target.pvBuffer.byteLength >= out.data.byteLength) {
      target.pvBuffer.set(out.data);
      target.cbBuffer = out.data.byteLength;
    } else {
      target.cbBuffer = out.data.byteLength;
      status = SEC_E_BUFFER_TOO_SMALL;
    }
  }
  for (const b of outputs) {
    if (used.has(b)) continue;
    const kind = bufferKind(b.BufferType);
    if (kind === SECBUFFER_EMPTY) continue;
    b.cbBuffer = 0;
    if (allocate) b.pvBuffer = null;
  }
  return status;
}

/** The byte length a result's output of `type` needs (0 if none). */
export function outputLength(result: ContextResult, type: number): number {
  return result.outputs.find((o) => o.type === type)?.data.byteLength ?? 0;
}
