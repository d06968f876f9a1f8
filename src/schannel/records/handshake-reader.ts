/**
 * Reading handshake messages from untrusted bytes, shared by the hello parsers
 * (`client-hello.ts`, `server-hello.ts`): a bounds-checked {@link ByteReader}, reassembly of one
 * handshake message from one or more plaintext records ({@link reassembleHandshakeMessage}), and
 * the failure type they report ({@link HelloParseFailure}). Nothing here throws out of
 * {@link guarded}: every failure names the alert a TLS stack would send.
 *
 * @module
 */
import { HANDSHAKE_CLIENT_HELLO, HANDSHAKE_HEADER_LENGTH } from "./handshake-types.js";
import {
  CONTENT_TYPE_HANDSHAKE,
  MAX_PLAINTEXT_LENGTH,
  RECORD_HEADER_LENGTH,
  splitRecords,
} from "./record-header.js";
import { contentTypeName, extensionTypeName, handshakeTypeName, type Named, named } from "./tls-names.js";

/** Why a hello could not be parsed, or how much of it is still missing. */
export interface HelloParseFailure {
  /** Human-readable reason (`"incomplete: 120 more bytes needed"` when `incomplete`). */
  readonly error: string;
  /** True when the bytes are a valid prefix of a hello that has not fully arrived. */
  readonly incomplete: boolean;
  /** When `incomplete`: a lower bound on the bytes still needed (always > 0). Otherwise 0. */
  readonly missing: number;
  /**
   * The alert a TLS stack sends for this input (`"decode_error"`, `"illegal_parameter"`,
   * `"unexpected_message"`, `"record_overflow"`, `"unrecognized_name"`), or `undefined` when
   * `incomplete` or when the bytes are not TLS at all (no alert is owed to a non-TLS peer).
   */
  readonly alert: string | undefined;
}

/** One handshake message reassembled from handshake records. */
export interface ReassembledMessage {
  /** `HandshakeType`. */
  readonly type: number;
  /** The message body (after the 4-byte handshake header), a view into a copy of the input. */
  readonly body: Uint8Array;
  /** Offset just after the record that carried the message's last byte. */
  readonly end: number;
}

/** Thrown inside the parsers only; always caught and turned into a {@link HelloParseFailure}. */
class DecodeFailure extends Error {
  constructor(
    message: string,
    readonly alert: string,
  ) {
    super(message);
  }
}

/** Builds a non-incomplete failure. */
export function helloFailure(error: string, alert: string | undefined): HelloParseFailure {
  return { error, incomplete: false, missing: 0, alert };
}

/** Builds an incomplete-input failure; `missing` is clamped to at least 1. */
function incompleteFailure(missing: number): HelloParseFailure {
  const need = Math.max(1, missing);
  return {
    error: `incomplete: at least ${need} more bytes needed`,
    incomplete: true,
    missing: need,
    alert: undefined,
  };
}

/**
 * A bounds-checked big-endian reader over one byte range. Every read past the end throws a
 * {@link DecodeFailure}, which the public parsers catch.
 */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  /** Bytes left before the end of this reader's range. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw new DecodeFailure(
        `${this.what}: ${field} needs ${n} bytes, ${this.remaining} left`,
        "decode_error",
      );
    }
  }

  /** Reads one byte; `field` names it in the error. Throws past the end. */
  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  /** Reads a big-endian uint16. Throws past the end. */
  u16(field: string): number {
    this.need(2, field);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian uint32. Throws past the end. */
  u32(field: string): number {
    this.need(4, field);
    const v =
      this.bytes[this.pos]! * 0x1000000 +
      ((this.bytes[this.pos + 1]! << 16) | (this.bytes[this.pos + 2]! << 8) | this.bytes[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** `n` bytes as a view (not a copy). Throws when fewer remain. */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Everything left, as a view (not a copy). */
  rest(): Uint8Array {
    return this.take(this.remaining, "rest");
  }

  /** A reader over the next `n` bytes; this reader skips them. */
  sub(n: number, field: string): ByteReader {
    this.need(n, field);
    const r = new ByteReader(this.bytes, `${this.what} ${field}`, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** A reader over a vector with a 1-byte length whose length lies in [min, max]. */
  vec8(field: string, min: number, max = 0xff): ByteReader {
    const n = this.u8(`${field} length`);
    checkLength(field, n, min, max);
    return this.sub(n, field);
  }

  /** A reader over a vector with a 2-byte length whose length lies in [min, max]. */
  vec16(field: string, min: number, max = 0xffff): ByteReader {
    const n = this.u16(`${field} length`);
    checkLength(field, n, min, max);
    return this.sub(n, field);
  }

  /** Throws `decode_error` unless this reader's range is fully consumed. */
  done(): void {
    if (this.remaining !== 0) {
      throw new DecodeFailure(`${this.what}: ${this.remaining} trailing bytes`, "decode_error");
    }
  }

  /** Reads the rest as big-endian uint16 values (the range length must be even). */
  u16List(field: string): number[] {
    if (this.remaining % 2 !== 0) throw new DecodeFailure(`${field}: odd length`, "decode_error");
    const out: number[] = [];
    while (this.remaining > 0) out.push(this.u16(field));
    return out;
  }
}

function checkLength(field: string, n: number, min: number, max: number): void {
  if (n < min || n > max) {
    throw new DecodeFailure(`${field}: length ${n} outside ${min}..${max}`, "decode_error");
  }
}

/** Throws a failure with the given alert (for use by the hello parsers). */
export function fail(message: string, alert: string): never {
  throw new DecodeFailure(message, alert);
}

/**
 * Runs a parser body and turns every exception into a {@link HelloParseFailure}: a
 * {@link DecodeFailure} keeps its alert; anything else (which would be a bug) becomes
 * `internal_error`. Never throws.
 */
export function guarded<T>(body: () => T): T | HelloParseFailure {
  try {
    return body();
  } catch (e) {
    if (e instanceof DecodeFailure) return helloFailure(e.message, e.alert);
    return helloFailure(`internal error: ${e instanceof Error ? e.message : String(e)}`, "internal_error");
  }
}

/**
 * Reassembles the first handshake message in `bytes` ({@link reassembleHandshakeMessage}) and
 * parses its body with `parseBody` (which may throw through {@link fail} or a {@link ByteReader}).
 *
 * @returns what `parseBody` returns, or the {@link HelloParseFailure} of the reassembly or of the
 *   body. Never throws.
 */
export function parseHandshakeMessage<T>(
  bytes: Uint8Array,
  expectedType: number,
  maxLength: number,
  parseBody: (body: Uint8Array, end: number) => T,
): T | HelloParseFailure {
  return guarded(() => {
    const message = reassembleHandshakeMessage(bytes, expectedType, maxLength);
    if ("error" in message) return message;
    return parseBody(message.body, message.end);
  });
}

/**
 * Reads a hello's `extensions` block: a vector with a 2-byte length that must end `r`. For each
 * extension in order it rejects a duplicate (`illegal_parameter`), calls `visit` with the type, a
 * reader over the data and whether it is the last extension, then requires that `visit` consumed
 * the data (`decode_error`). Throws inside {@link guarded}.
 *
 * @returns every extension type in the order sent, with names where known.
 */
export function readExtensions(
  r: ByteReader,
  visit: (type: number, data: ByteReader, last: boolean) => void,
): Named[] {
  const extensions = r.vec16("extensions", 0);
  r.done();
  const seen = new Set<number>();
  const list: Named[] = [];
  while (extensions.remaining > 0) {
    const type = extensions.u16("extension_type");
    const data = extensions.vec16(`extension ${extensionTypeName(type) ?? type}`, 0);
    if (seen.has(type)) fail(`duplicate extension ${extensionTypeName(type) ?? type}`, "illegal_parameter");
    seen.add(type);
    list.push(named(type, extensionTypeName));
    visit(type, data, extensions.remaining === 0);
    data.done();
  }
  return list;
}

/** Decodes bytes one char per byte (lossless for any input, exact for ASCII). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * Reassembles the first handshake message in `bytes` from consecutive plaintext handshake records
 * starting at offset 0, and checks that it has type `expectedType`.
 *
 * @returns the message, or a failure: `incomplete` (with a lower bound of the bytes missing) when
 *   the records seen so far are a valid prefix; not TLS (no alert) when the first record header
 *   is not a TLS header (an HTTP request, an SSL 2.0 hello); `unexpected_message` for a
 *   non-handshake record before the message is complete, a zero-length handshake fragment, or a
 *   first message of another type; `record_overflow` for a fragment longer than 2^14;
 *   `decode_error` for a message longer than `maxLength`. Never throws.
 */
export function reassembleHandshakeMessage(
  bytes: Uint8Array,
  expectedType: number,
  maxLength: number,
): ReassembledMessage | HelloParseFailure {
  const expected = handshakeTypeName(expectedType) ?? String(expectedType);
  const split = splitRecords(bytes);
  const chunks: Uint8Array[] = [];
  let gathered = 0;
  let need = HANDSHAKE_HEADER_LENGTH;
  let header: Uint8Array | null = null;

  const absorb = (fragment: Uint8Array): HelloParseFailure | null => {
    chunks.push(fragment);
    gathered += fragment.length;
    if (header === null && gathered >= HANDSHAKE_HEADER_LENGTH) {
      header = concat(chunks, HANDSHAKE_HEADER_LENGTH);
      const type = header[0]!;
      if (type !== expectedType) {
        const got = handshakeTypeName(type) ?? `type ${type}`;
        return helloFailure(`first handshake message is ${got}, not ${expected}`, "unexpected_message");
      }
      const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
      if (length > maxLength) {
        return helloFailure(`${expected} of ${length} bytes exceeds ${maxLength}`, "decode_error");
      }
      need = HANDSHAKE_HEADER_LENGTH + length;
    }
    return null;
  };

  for (const record of split.records) {
    const failure = checkHandshakeRecord(record.contentType, record.length - RECORD_HEADER_LENGTH, expected);
    if (failure !== null) return failure;
    const rejected = absorb(
      bytes.subarray(record.offset + RECORD_HEADER_LENGTH, record.offset + record.length),
    );
    if (rejected !== null) return rejected;
    if (gathered >= need) {
      const all = concat(chunks, need);
      return {
        type: expectedType,
        body: all.subarray(HANDSHAKE_HEADER_LENGTH),
        end: record.offset + record.length,
      };
    }
  }

  if (split.error !== undefined) {
    if (split.records.length === 0) return notTls(bytes, split.error);
    return helloFailure(
      `invalid record header after ${split.consumed} bytes: ${split.error}`,
      "decode_error",
    );
  }
  if (bytes.length === split.consumed) {
    // Ended on a record boundary (or empty input): a header and the message's rest are missing.
    return incompleteFailure(RECORD_HEADER_LENGTH + (need - gathered));
  }
  const partialHave = bytes.length - split.consumed;
  if (partialHave < RECORD_HEADER_LENGTH) {
    if (bytes[split.consumed] !== CONTENT_TYPE_HANDSHAKE) {
      return checkHandshakeRecord(bytes[split.consumed]!, 1, expected) ?? incompleteFailure(1);
    }
    return incompleteFailure(RECORD_HEADER_LENGTH - partialHave + (need - gathered));
  }
  // Header complete, fragment partial: look into the available part for the handshake header.
  const fragmentLength = split.missing + partialHave - RECORD_HEADER_LENGTH;
  const failure = checkHandshakeRecord(bytes[split.consumed]!, fragmentLength, expected);
  if (failure !== null) return failure;
  const rejected = absorb(bytes.subarray(split.consumed + RECORD_HEADER_LENGTH));
  if (rejected !== null) return rejected;
  const stillNeeded = need - (gathered - (partialHave - RECORD_HEADER_LENGTH)) - fragmentLength;
  return incompleteFailure(split.missing + (stillNeeded > 0 ? RECORD_HEADER_LENGTH + stillNeeded : 0));
}

/** @returns a failure when a record cannot carry (part of) the expected handshake message. */
function checkHandshakeRecord(
  contentType: number,
  fragmentLength: number,
  expected: string,
): HelloParseFailure | null {
  if (contentType !== CONTENT_TYPE_HANDSHAKE) {
    const got = contentTypeName(contentType) ?? `content type ${contentType}`;
    return helloFailure(`${got} record before the ${expected} was complete`, "unexpected_message");
  }
  if (fragmentLength === 0) return helloFailure("zero-length handshake fragment", "unexpected_message");
  if (fragmentLength > MAX_PLAINTEXT_LENGTH) {
    return helloFailure(`handshake fragment of ${fragmentLength} bytes exceeds 2^14`, "record_overflow");
  }
  return null;
}

function notTls(bytes: Uint8Array, reason: string): HelloParseFailure {
  const first = bytes[0]!;
  if ((first & 0x80) !== 0 && bytes.length >= 3 && bytes[2] === HANDSHAKE_CLIENT_HELLO) {
    return helloFailure("SSL 2.0 compatible ClientHello is not supported", undefined);
  }
  const hex = first.toString(16).padStart(2, "0");
  return helloFailure(`not a TLS record (${reason}, first byte 0x${hex})`, undefined);
}

/** Concatenates the first `n` bytes of `chunks` into a new array. */
function concat(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    if (at >= n) break;
    const part = c.subarray(0, n - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}
