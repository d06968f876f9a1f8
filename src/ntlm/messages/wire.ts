/**
 * Little-endian reading and writing of NTLM messages: the `"NTLMSSP\0"` header, payload fields
 * (`{Len u16, MaxLen u16, Offset u32}`, MS-NLMP §2.2) with strict bounds checks, and strings
 * (UTF-16LE with NTLMSSP_NEGOTIATE_UNICODE, else OEM, read as Latin-1).
 *
 * Every read outside the message throws an `invalid-token` {@link NtlmError}.
 *
 * @module
 */
import { invalidToken } from "../ntlm-error.js";

/** `"NTLMSSP\0"`, the first 8 bytes of every NTLM message. */
export const NTLMSSP_SIGNATURE = new Uint8Array([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]);

/** MessageType values (MS-NLMP §2.2.1). */
export const NtLmNegotiate = 1;
export const NtLmChallenge = 2;
export const NtLmAuthenticate = 3;

const NAMES: Record<number, string> = { 1: "NEGOTIATE", 2: "CHALLENGE", 3: "AUTHENTICATE" };

/** Reads `u16` at `offset`, or throws `invalid-token`. */
export function readU16(bytes: Uint8Array, offset: number, what: string): number {
  if (offset < 0 || offset + 2 > bytes.length) throw invalidToken(`${what}: truncated`);
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}

/** Reads `u32` at `offset`, or throws `invalid-token`. */
export function readU32(bytes: Uint8Array, offset: number, what: string): number {
  if (offset < 0 || offset + 4 > bytes.length) throw invalidToken(`${what}: truncated`);
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

/** Reads a little-endian `u64` as a bigint. */
export function readU64(bytes: Uint8Array, offset: number, what: string): bigint {
  const lo = readU32(bytes, offset, what);
  const hi = readU32(bytes, offset + 4, what);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reads `length` bytes at `offset` (a view), or throws `invalid-token`. */
export function readBytes(bytes: Uint8Array, offset: number, length: number, what: string): Uint8Array {
  if (offset < 0 || length < 0 || offset + length > bytes.length) throw invalidToken(`${what}: truncated`);
  return bytes.subarray(offset, offset + length);
}

export function writeU16(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
}

export function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

export function writeU64(out: Uint8Array, offset: number, value: bigint): void {
  writeU32(out, offset, Number(value & 0xffffffffn));
  writeU32(out, offset + 4, Number((value >> 32n) & 0xffffffffn));
}

/**
 * Checks the signature and MessageType of an NTLM message of at least `minLength` bytes.
 *
 * @throws NtlmError `invalid-token` when the message is shorter, not NTLMSSP, or of another type.
 */
export function checkHeader(bytes: Uint8Array, type: number, minLength: number): void {
  const name = NAMES[type] ?? `type ${type}`;
  if (bytes.length < 12) throw invalidToken(`${name} message: ${bytes.length} bytes is too short`);
  for (let i = 0; i < 8; i++)
    if (bytes[i] !== NTLMSSP_SIGNATURE[i]) throw invalidToken(`${name} message: no NTLMSSP signature`);
  const actual = readU32(bytes, 8, name);
  if (actual !== type)
    throw invalidToken(`expected a ${name} message, got ${NAMES[actual] ?? `message type ${actual}`}`);
  if (bytes.length < minLength)
    throw invalidToken(`${name} message: ${bytes.length} bytes is shorter than its ${minLength}-byte header`);
}

/** A payload field as found in a message: its bytes and where they were. */
export interface PayloadField {
  bytes: Uint8Array;
  offset: number;
}

/**
 * Reads the payload field whose `{Len, MaxLen, Offset}` descriptor sits at `at`. An empty field's
 * offset is not checked (senders put 0 or the payload end there); a non-empty one must lie inside
 * the message and after the fixed header (`headerEnd`).
 */
export function readField(bytes: Uint8Array, at: number, headerEnd: number, what: string): PayloadField {
  const length = readU16(bytes, at, what);
  const offset = readU32(bytes, at + 4, what);
  if (length === 0) return { bytes: new Uint8Array(0), offset };
  if (offset < headerEnd) throw invalidToken(`${what}: offset ${offset} points into the message header`);
  if (offset + length > bytes.length)
    throw invalidToken(
      `${what}: ${length} bytes at offset ${offset} run past the ${bytes.length}-byte message`,
    );
  return { bytes: bytes.subarray(offset, offset + length), offset };
}

/** The smallest offset of the non-empty payload fields described at `descriptors` (or `undefined`). */
export function firstPayloadOffset(bytes: Uint8Array, descriptors: number[]): number | undefined {
  let first: number | undefined;
  for (const at of descriptors) {
    if (at + 8 > bytes.length) continue;
    const length = readU16(bytes, at, "field");
    const offset = readU32(bytes, at + 4, "field");
    if (length > 0 && (first === undefined || offset < first)) first = offset;
  }
  return first;
}

/** Builds a message: a fixed header of `headerLength` bytes, then payload fields appended in order. */
export class MessageWriter {
  private readonly header: Uint8Array;
  private readonly payload: Uint8Array[] = [];
  private payloadLength = 0;

  constructor(
    type: number,
    private readonly headerLength: number,
  ) {
    this.header = new Uint8Array(headerLength);
    this.header.set(NTLMSSP_SIGNATURE, 0);
    writeU32(this.header, 8, type);
  }

  u32(offset: number, value: number): this {
    writeU32(this.header, offset, value);
    return this;
  }

  bytes(offset: number, value: Uint8Array): this {
    this.header.set(value, offset);
    return this;
  }

  /** Appends `value` to the payload and writes its descriptor at `at`. */
  field(at: number, value: Uint8Array): this {
    if (value.length > 0xffff) throw new RangeError("an NTLM payload field holds at most 65535 bytes");
    const offset = this.headerLength + this.payloadLength;
    writeU16(this.header, at, value.length);
    writeU16(this.header, at + 2, value.length);
    writeU32(this.header, at + 4, offset);
    this.payload.push(value);
    this.payloadLength += value.length;
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.headerLength + this.payloadLength);
    out.set(this.header, 0);
    let at = this.headerLength;
    for (const p of this.payload) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** UTF-16LE bytes of `text`. */
export function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) writeU16(out, i * 2, text.charCodeAt(i));
  return out;
}

/** Decodes UTF-16LE, refusing an odd byte count. */
export function fromUtf16le(bytes: Uint8Array, what: string): string {
  if (bytes.length % 2 !== 0) throw invalidToken(`${what}: odd length for a UTF-16 string`);
  let s = "";
  for (let i = 0; i < bytes.length; i += 2) s += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return s;
}

/** A string in the message's character set: UTF-16LE when `unicode`, else OEM (Latin-1 here). */
export function encodeString(text: string, unicode: boolean): Uint8Array {
  if (unicode) return utf16le(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c < 0x100 ? c : 0x3f;
  }
  return out;
}

/** Decodes a string field in the message's character set. */
export function decodeString(bytes: Uint8Array, unicode: boolean, what: string): string {
  if (unicode) return fromUtf16le(bytes, what);
  return String.fromCharCode(...bytes);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
