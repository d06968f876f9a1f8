/**
 * The TLS record header (RFC 8446 §5.1, RFC 5246 §6.2.1): content types, size limits, header
 * parsing and splitting a byte stream into complete records.
 *
 * OpenSSL sends no alert for bytes that are not TLS at all (an HTTP request, random bytes), so the
 * header is validated here, before anything reaches the engine.
 *
 * @module
 */

/** `ContentType.change_cipher_spec`. */
export const CONTENT_TYPE_CHANGE_CIPHER_SPEC = 20;
/** `ContentType.alert`. */
export const CONTENT_TYPE_ALERT = 21;
/** `ContentType.handshake`. */
export const CONTENT_TYPE_HANDSHAKE = 22;
/** `ContentType.application_data`. */
export const CONTENT_TYPE_APPLICATION_DATA = 23;
/** `ContentType.heartbeat` (RFC 6520). */
export const CONTENT_TYPE_HEARTBEAT = 24;

/** Length of a record header: type(1) version(2) length(2). */
export const RECORD_HEADER_LENGTH = 5;
/** Largest plaintext fragment: 2^14 (`SecPkgContext_StreamSizes.cbMaximumMessage`). */
export const MAX_PLAINTEXT_LENGTH = 16384;
/**
 * Largest TLS 1.3 TLSCiphertext fragment: 2^14 + 256 (RFC 8446 §5.2). RFC 5246 allows 2^14 + 2048
 * ({@link MAX_CIPHERTEXT_LENGTH_TLS12}), and that is the limit until TLS 1.3 is negotiated.
 */
export const MAX_CIPHERTEXT_LENGTH = 16384 + 256;
/** Largest TLS 1.2 TLSCiphertext fragment: 2^14 + 2048 (RFC 5246 §6.2.3): the default limit of the header checks. */
export const MAX_CIPHERTEXT_LENGTH_TLS12 = 16384 + 2048;

/** A parsed record header. */
export interface RecordHeader {
  /** Content type byte. */
  readonly contentType: number;
  /** Legacy record version major byte (3 for SSL 3.0 … TLS 1.3). */
  readonly versionMajor: number;
  /** Legacy record version minor byte. */
  readonly versionMinor: number;
  /** Fragment length (header excluded). */
  readonly length: number;
}

/** Why a byte stream is not a sequence of TLS records. */
export type RecordHeaderError = "bad_content_type" | "bad_version" | "record_overflow";

/** One complete record inside a buffer. */
export interface RecordSpan {
  /** Offset of the record header in the buffer. */
  readonly offset: number;
  /** Whole record length, header included. */
  readonly length: number;
  readonly contentType: number;
}

/** Result of {@link splitRecords}. */
export interface SplitRecords {
  /** Complete records, in order, up to the first incomplete or invalid one. */
  readonly records: RecordSpan[];
  /** Bytes covered by `records` (the offset of the first byte not in a complete record). */
  readonly consumed: number;
  /**
   * Bytes still needed to complete the next record after `consumed`: `5 - have` while the header
   * is incomplete, then the rest of the fragment; 0 when the buffer ends on a record boundary or on
   * an error.
   */
  readonly missing: number;
  /** Set when the header at `consumed` is invalid; no later record is returned. */
  readonly error?: RecordHeaderError;
}

/** True for the content types TLS 1.2/1.3 define (20–24). */
export function isKnownContentType(contentType: number): boolean {
  return contentType >= CONTENT_TYPE_CHANGE_CIPHER_SPEC && contentType <= CONTENT_TYPE_HEARTBEAT;
}

/**
 * Reads the 5-byte record header at `offset`.
 *
 * @returns the header, or `null` when fewer than 5 bytes are available at `offset`. The header is
 *   not validated; see {@link validateRecordHeader}.
 */
export function parseRecordHeader(bytes: Uint8Array, offset = 0): RecordHeader | null {
  if (offset < 0 || bytes.length - offset < RECORD_HEADER_LENGTH) return null;
  return {
    contentType: bytes[offset]!,
    versionMajor: bytes[offset + 1]!,
    versionMinor: bytes[offset + 2]!,
    length: (bytes[offset + 3]! << 8) | bytes[offset + 4]!,
  };
}

/**
 * Checks a header against what a TLS 1.2/1.3 peer may send.
 *
 * @returns `undefined` when valid; `'bad_content_type'` for a type outside 20–24,
 *   `'bad_version'` when the version major byte is not 3, `'record_overflow'` when the fragment is
 *   longer than `maxLength` (default {@link MAX_CIPHERTEXT_LENGTH_TLS12}: TLS 1.2's limit, which
 *   holds until TLS 1.3 is negotiated; pass {@link MAX_CIPHERTEXT_LENGTH} after that).
 */
export function validateRecordHeader(
  header: RecordHeader,
  maxLength = MAX_CIPHERTEXT_LENGTH_TLS12,
): RecordHeaderError | undefined {
  if (!isKnownContentType(header.contentType)) return "bad_content_type";
  if (header.versionMajor !== 3) return "bad_version";
  if (header.length > maxLength) return "record_overflow";
  return undefined;
}

/**
 * Splits `bytes` into complete TLS records.
 *
 * Validation happens per header as soon as its 5 bytes are available, so an invalid header is
 * reported even when its fragment is incomplete. Partial bytes before the header is complete are
 * also checked byte by byte (an HTTP request fails on its first byte).
 *
 * @param maxLength - the longest fragment accepted (as {@link validateRecordHeader}).
 * @returns the complete records, the number of bytes they cover, the bytes missing to complete the
 *   next record, and an `error` for an invalid header (records before it are still returned).
 */
export function splitRecords(bytes: Uint8Array, maxLength = MAX_CIPHERTEXT_LENGTH_TLS12): SplitRecords {
  const records: RecordSpan[] = [];
  let offset = 0;
  for (;;) {
    const have = bytes.length - offset;
    if (have === 0) return { records, consumed: offset, missing: 0 };
    const early = validatePartialHeader(bytes, offset, have);
    if (early !== undefined) return { records, consumed: offset, missing: 0, error: early };
    const header = parseRecordHeader(bytes, offset);
    if (header === null) return { records, consumed: offset, missing: RECORD_HEADER_LENGTH - have };
    const error = validateRecordHeader(header, maxLength);
    if (error !== undefined) return { records, consumed: offset, missing: 0, error };
    const total = RECORD_HEADER_LENGTH + header.length;
    if (have < total) return { records, consumed: offset, missing: total - have };
    records.push({ offset, length: total, contentType: header.contentType });
    offset += total;
  }
}

/** Validates the first one or two bytes of an incomplete header. */
function validatePartialHeader(
  bytes: Uint8Array,
  offset: number,
  have: number,
): RecordHeaderError | undefined {
  if (have >= RECORD_HEADER_LENGTH) return undefined;
  if (!isKnownContentType(bytes[offset]!)) return "bad_content_type";
  if (have >= 2 && bytes[offset + 1] !== 3) return "bad_version";
  return undefined;
}
