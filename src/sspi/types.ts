/**
 * The SSPI data model, keeping C's field names so ported code reads the same.
 *
 * Plain object literals of these shapes are accepted everywhere; the classes are conveniences.
 *
 * @module
 */
import { SECBUFFER_VERSION } from "./buffer-types.js";

/**
 * One buffer of a {@link SecBufferDesc}. `cbBuffer` is authoritative: the bytes are
 * `pvBuffer.subarray(0, cbBuffer)`, and `cbBuffer` must not exceed `pvBuffer.byteLength`.
 * Functions rewrite `BufferType`, `cbBuffer` and `pvBuffer` in place, as Schannel does.
 */
export interface SecBuffer {
  /** `SECBUFFER_*`, possibly with attribute bits (`SECBUFFER_READONLY`); compared unsigned. */
  BufferType: number;
  /** Size in bytes of the meaningful part of `pvBuffer`. */
  cbBuffer: number;
  /** The bytes, or null (a `SECBUFFER_MISSING` or an output to be allocated). */
  pvBuffer: Uint8Array | null;
}

/** A list of buffers: `{ ulVersion: SECBUFFER_VERSION, cBuffers, pBuffers }`. */
export interface SecBufferDesc {
  /** Must be `SECBUFFER_VERSION` (0). */
  ulVersion: number;
  /** Number of buffers of `pBuffers` the call uses. */
  cBuffers: number;
  pBuffers: SecBuffer[];
}

/** An out-parameter: the call writes `value` (C's `unsigned long*`, `TimeStamp*`, `void*`, …). */
export interface Box<T> {
  value: T;
}

/**
 * A `TimeStamp`: FILETIME ticks (100 ns since 1601-01-01 UTC) as a bigint. See
 * {@link timeStampFromDate} and {@link dateFromTimeStamp}.
 */
export type TimeStamp = bigint;

/** `SecPkgInfo`: what a security package is and can do. */
export interface SecPkgInfo {
  /** `SECPKG_FLAG_*` capability bits. */
  fCapabilities: number;
  /** Always 1. */
  wVersion: number;
  /** DCE RPC id, or `SECPKG_ID_NONE` (0xFFFF). */
  wRPCID: number;
  /** Largest token the package produces; size ISC/ASC output buffers from it. */
  cbMaxToken: number;
  Name: string;
  Comment: string;
}

/** Creates a {@link SecBuffer}: of `size` zero bytes, or viewing `bytes` (cbBuffer = its length). */
export function secBuffer(BufferType: number, bytes: Uint8Array | number | null = null): SecBuffer {
  if (bytes === null) return { BufferType, cbBuffer: 0, pvBuffer: null };
  const pvBuffer = typeof bytes === "number" ? new Uint8Array(bytes) : bytes;
  return { BufferType, cbBuffer: pvBuffer.byteLength, pvBuffer };
}

/** Creates a {@link SecBufferDesc} over `buffers` (ulVersion 0, cBuffers = buffers.length). */
export function secBufferDesc(...buffers: SecBuffer[]): SecBufferDesc {
  return { ulVersion: SECBUFFER_VERSION, cBuffers: buffers.length, pBuffers: buffers };
}

/** Creates an out-parameter box holding `initial`. */
export function box<T>(initial: T): Box<T> {
  return { value: initial };
}
