/**
 * One direction of TLS record protection with an AEAD suite (RFC 8446 §5.2–5.4, RFC 5246
 * §6.2.3.3, RFC 5288, RFC 7905): sealing a plaintext into one whole record, sealing in place into
 * EncryptMessage's `[STREAM_HEADER, DATA, STREAM_TRAILER]` buffers, and opening one whole record.
 *
 * The AEAD itself is Node's (`createCipheriv`/`createDecipheriv`); this file only builds nonces,
 * additional data and framing, and keeps the sequence number. One cipher object is created per
 * record because the nonce changes with every record.
 *
 * Failure reporting:
 * - {@link RecordProtection.open} never throws; it returns an {@link OpenResult} whose failure
 *   names the SSPI status and the alert to send (`bad_record_mac` → `SEC_E_MESSAGE_ALTERED`, …).
 * - the sealing methods throw {@link RecordError} (carrying the same status/alert fields) only when
 *   the caller broke a precondition (plaintext above 2^14, buffers too small, sequence numbers
 *   exhausted, protection destroyed); the SSPI-facing `DirectRecordLayer` turns those into results.
 *
 * @module
 */
import { type CipherGCMTypes, createCipheriv, createDecipheriv } from "node:crypto";
import type { CipherSuite, TlsVersion } from "../../../src/schannel/cipher-suites.js";
import {
  CONTENT_TYPE_APPLICATION_DATA,
  MAX_CIPHERTEXT_LENGTH,
  MAX_CIPHERTEXT_LENGTH_TLS12,
  MAX_PLAINTEXT_LENGTH,
  RECORD_HEADER_LENGTH,
} from "../../../src/schannel/records/record-header.js";
import {
  TLS1_ALERT_BAD_RECORD_MAC,
  TLS1_ALERT_DECODE_ERROR,
  TLS1_ALERT_INTERNAL_ERROR,
  TLS1_ALERT_PROTOCOL_VERSION,
  TLS1_ALERT_RECORD_OVERFLOW,
  TLS1_ALERT_UNEXPECTED_MESSAGE,
} from "../../../src/sspi/schannel-constants.js";
import {
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_MESSAGE_ALTERED,
  type SECURITY_STATUS,
} from "../../../src/sspi/status.js";
import { nextTrafficSecret, tls12KeyBlock, tls13TrafficKeys } from "./key-schedule.js";

/** Why a record could not be sealed or opened. */
export type RecordErrorCode =
  /** Authentication failed (tampered, wrong key or wrong sequence number). */
  | "bad_record_mac"
  /** Ciphertext above 2^14 + 256 (TLS 1.3) / 2^14 + 2048 (TLS 1.2), or plaintext above 2^14. */
  | "record_overflow"
  /** Fragment too short to hold the explicit nonce and tag, or the header length disagrees with the buffer. */
  | "decode_error"
  /** TLS 1.3 outer type other than application_data, or an inner plaintext of only zeros. */
  | "unexpected_message"
  /** TLS 1.2 record version other than 3,3. */
  | "protocol_version"
  /** The 64-bit sequence number would wrap (RFC 8446 §5.3, RFC 5246 §6.1). */
  | "sequence_overflow"
  /** The caller's plaintext or buffers do not fit (sealing only). */
  | "buffer_too_small"
  /** A plaintext above 2^14 was given to seal. */
  | "plaintext_too_long"
  /** The protection was destroyed (keys zeroed). */
  | "destroyed";

/** A failed seal or open: the SSPI status to return and the TLS alert the peer should get. */
export interface RecordFailure {
  readonly ok: false;
  readonly error: RecordErrorCode;
  /** `SECURITY_STATUS` for DecryptMessage/EncryptMessage. */
  readonly status: SECURITY_STATUS;
  /** TLS alert description to send (fatal), or `null` when nothing should be sent. */
  readonly alert: number | null;
  /** Human-readable reason. */
  readonly reason: string;
}

/** A successfully opened record. */
export interface OpenedRecord {
  readonly ok: true;
  /** Content type: the header type (TLS 1.2) or the inner type (TLS 1.3). */
  readonly contentType: number;
  /** The plaintext (TLS 1.3: padding and inner type removed); a view of a fresh buffer. */
  readonly plaintext: Uint8Array;
}

/** Result of {@link RecordProtection.open}. */
export type OpenResult = OpenedRecord | RecordFailure;

/*
 * The cipher name is cast to CipherGCMTypes so TypeScript picks the AEAD overloads; ChaCha20-Poly1305
 * objects have the same setAAD/setAuthTag/getAuthTag methods at run time.
 */

/** Thrown by the sealing methods when a precondition is broken; carries the {@link RecordFailure} fields. */
export class RecordError extends Error {
  readonly ok = false as const;
  constructor(
    readonly error: RecordErrorCode,
    readonly status: SECURITY_STATUS,
    readonly alert: number | null,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "RecordError";
  }

  /** The error as a plain {@link RecordFailure} result. */
  toFailure(): RecordFailure {
    return { ok: false, error: this.error, status: this.status, alert: this.alert, reason: this.reason };
  }
}

function failure(
  error: RecordErrorCode,
  status: SECURITY_STATUS,
  alert: number | null,
  reason: string,
): RecordFailure {
  return { ok: false, error, status, alert, reason };
}

/** `SecPkgContext_StreamSizes` for a suite. */
export interface StreamSizes {
  /** Bytes before the data: record header (5), plus the explicit nonce (8) for TLS 1.2 GCM. */
  readonly cbHeader: number;
  /** Bytes after the data: tag (16), plus the inner content type (1) for TLS 1.3. No padding is sent. */
  readonly cbTrailer: number;
  /** Largest plaintext per record: 16384. */
  readonly cbMaximumMessage: number;
  /** Buffers EncryptMessage takes: header, data, trailer, empty. */
  readonly cBuffers: number;
  /** Preferred block multiple: 16 for AES-GCM, 1 for ChaCha20-Poly1305 (neither needs padding). */
  readonly cbBlockSize: number;
}

/**
 * The stream sizes (QueryContextAttributes SECPKG_ATTR_STREAM_SIZES) of a suite.
 *
 * @param version - defaults to the suite's version; a mismatch is a caller bug.
 * @returns TLS 1.3: header 5, trailer 17; TLS 1.2 GCM: header 13, trailer 16; TLS 1.2 ChaCha20:
 *   header 5, trailer 16. `cbMaximumMessage` is 16384 and `cBuffers` 4 in every case.
 * @throws RangeError when `version` is not the suite's version.
 */
export function streamSizes(suite: CipherSuite, version: TlsVersion = suite.version): StreamSizes {
  if (version !== suite.version) throw new RangeError(`${suite.ianaName} is not a ${version} suite`);
  return {
    cbHeader: RECORD_HEADER_LENGTH + suite.explicitNonceLength,
    cbTrailer: suite.tagLength + (version === "TLSv1.3" ? 1 : 0),
    cbMaximumMessage: MAX_PLAINTEXT_LENGTH,
    cBuffers: 4,
    cbBlockSize: suite.cipher === "chacha20-poly1305" ? 1 : 16,
  };
}

const AUTH_TAG = { authTagLength: 16 } as const;
/** Up to this size a TLS 1.3 inner plaintext is copied once to save an update() call (measured in bench/record-micro.ts). */
const SMALL_RECORD = 2048;
const TYPE_BYTES: readonly Buffer[] = Array.from({ length: 256 }, (_, i) => Buffer.of(i));

/**
 * One direction of record protection: a key, an IV (or GCM salt) and a sequence number.
 *
 * Not safe for concurrent use from two threads (each direction is its own instance, so one thread
 * may seal while another opens, as Schannel allows).
 */
export class RecordProtection {
  /** The negotiated suite. */
  readonly suite: CipherSuite;
  /** The protocol version (the suite's). */
  readonly version: TlsVersion;
  readonly #tls13: boolean;
  readonly #headerLength: number;
  readonly #overhead: number;
  #key: Buffer;
  #iv: Buffer;
  #ivHi = 0;
  #ivLo = 0;
  readonly #nonce = Buffer.alloc(12);
  readonly #aad: Buffer;
  #seqHi = 0;
  #seqLo = 0;
  #exhausted = false;
  #secret: Buffer | null = null;
  #destroyed = false;

  /**
   * @param suite - the negotiated suite.
   * @param version - must be the suite's version.
   * @param key - AEAD key (`suite.keyLength` bytes); copied.
   * @param iv - TLS 1.3 / ChaCha20: the 12-byte IV; TLS 1.2 GCM: the 4-byte salt; copied.
   * @param sequence - the sequence number of the next record (TLS 1.3 application data: 0, or 2 for
   *   a server that already sent two tickets; TLS 1.2: 1, Finished used 0).
   * @throws RangeError on a version mismatch, wrong key/IV length or an out-of-range sequence
   *   number (caller bugs).
   */
  constructor(suite: CipherSuite, version: TlsVersion, key: Uint8Array, iv: Uint8Array, sequence = 0n) {
    if (version !== suite.version) throw new RangeError(`${suite.ianaName} is not a ${version} suite`);
    this.suite = suite;
    this.version = version;
    this.#tls13 = version === "TLSv1.3";
    this.#headerLength = RECORD_HEADER_LENGTH + suite.explicitNonceLength;
    this.#overhead = suite.explicitNonceLength + suite.tagLength;
    this.#aad = Buffer.alloc(this.#tls13 ? RECORD_HEADER_LENGTH : 13);
    this.#key = Buffer.alloc(0);
    this.#iv = Buffer.alloc(0);
    this.#setKeys(key, iv);
    this.sequence = sequence;
  }

  /** The sequence number of the next record. */
  get sequence(): bigint {
    return (BigInt(this.#seqHi) << 32n) | BigInt(this.#seqLo);
  }

  /** Sets the sequence number of the next record (0 ≤ n < 2^64). */
  set sequence(value: bigint) {
    if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError("sequence number out of range");
    this.#seqHi = Number(value >> 32n);
    this.#seqLo = Number(value & 0xffffffffn);
    this.#exhausted = false;
  }

  /** Whether {@link destroy} ran. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Length of the header a sealed record starts with (5, or 13 for TLS 1.2 GCM). */
  get headerLength(): number {
    return this.#headerLength;
  }

  /** Total bytes a record adds to its plaintext: header, explicit nonce, tag and (TLS 1.3) inner type. */
  get recordOverhead(): number {
    return RECORD_HEADER_LENGTH + this.#overhead + (this.#tls13 ? 1 : 0);
  }

  /**
   * Seals `plaintext` as one record of `contentType` (TLS 1.3: the inner type; the outer type is
   * application_data and no padding is added).
   *
   * @returns the whole record: header, (TLS 1.2 GCM: explicit nonce = sequence number), ciphertext, tag.
   * @throws RecordError `plaintext_too_long` (SEC_E_INVALID_PARAMETER) above 2^14 bytes,
   *   `sequence_overflow` (SEC_E_CONTEXT_EXPIRED) when the sequence number is exhausted,
   *   `destroyed` (SEC_E_CONTEXT_EXPIRED) after {@link destroy}.
   */
  seal(contentType: number, plaintext: Uint8Array): Buffer {
    this.#checkSeal(plaintext.length);
    const n = plaintext.length;
    const fragmentLength = this.#overhead + n + (this.#tls13 ? 1 : 0);
    const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + fragmentLength);
    const cipher = this.#beginSeal(contentType, fragmentLength, n, out);
    let offset = this.#headerLength;
    if (this.#tls13 && n <= SMALL_RECORD) {
      // inner plaintext = plaintext || type, built in the output buffer: one update() instead of two
      out.set(plaintext, offset);
      out[offset + n] = contentType;
      offset += cipher.update(out.subarray(offset, offset + n + 1)).copy(out, offset);
    } else {
      offset += cipher.update(plaintext).copy(out, offset);
      if (this.#tls13) offset += cipher.update(TYPE_BYTES[contentType & 0xff]!).copy(out, offset);
    }
    cipher.final();
    cipher.getAuthTag().copy(out, offset);
    this.#advance();
    return out;
  }

  /**
   * Seals in place into EncryptMessage's buffers: writes the record header (and TLS 1.2 GCM
   * explicit nonce) into `header`, replaces the plaintext in `data` with its ciphertext, and writes
   * the rest of the record (TLS 1.3 encrypted inner type, then the tag) into `trailer`. The record
   * on the wire is `header[0, headerLength) + data + trailer[0, returned length)`.
   *
   * @returns the number of trailer bytes used (17 for TLS 1.3, 16 for TLS 1.2).
   * @throws RecordError `buffer_too_small` (SEC_E_BUFFER_TOO_SMALL) when `header` or `trailer` is
   *   shorter than the stream sizes, and the errors of {@link seal}.
   */
  sealInPlace(contentType: number, header: Uint8Array, data: Uint8Array, trailer: Uint8Array): number {
    this.#checkSeal(data.length);
    const trailerLength = this.suite.tagLength + (this.#tls13 ? 1 : 0);
    if (header.length < this.#headerLength || trailer.length < trailerLength) {
      throw new RecordError(
        "buffer_too_small",
        SEC_E_BUFFER_TOO_SMALL,
        null,
        `stream header needs ${this.#headerLength} bytes and trailer ${trailerLength}`,
      );
    }
    const n = data.length;
    const fragmentLength = this.#overhead + n + (this.#tls13 ? 1 : 0);
    const cipher = this.#beginSeal(contentType, fragmentLength, n, header);
    let t = 0;
    if (this.#tls13 && trailer.buffer === data.buffer && trailer.byteOffset === data.byteOffset + n) {
      // The trailer follows the data in one buffer (EncryptMessage's usual layout): the inner
      // plaintext is data || type already, so one update() seals both (one native call fewer).
      trailer[0] = contentType;
      const inner = new Uint8Array(data.buffer, data.byteOffset, n + 1);
      inner.set(cipher.update(inner));
      t = 1;
    } else {
      data.set(cipher.update(data));
      if (this.#tls13) t += copyInto(cipher.update(TYPE_BYTES[contentType & 0xff]!), trailer, 0);
    }
    cipher.final();
    t += copyInto(cipher.getAuthTag(), trailer, t);
    this.#advance();
    return t;
  }

  /**
   * Opens one whole record (header included, nothing after it).
   *
   * @returns `{ ok: true, contentType, plaintext }`, or a {@link RecordFailure}:
   *   `bad_record_mac` (SEC_E_MESSAGE_ALTERED, alert bad_record_mac) when authentication fails;
   *   `record_overflow` (SEC_E_DECRYPT_FAILURE, alert record_overflow) for an oversized ciphertext
   *   or plaintext (TLS 1.3: an inner plaintext, padding included, over 2^14 + 1 bytes); `decode_error` (SEC_E_DECRYPT_FAILURE, alert decode_error) for a fragment
   *   shorter than nonce + tag or a length that disagrees with the buffer; `unexpected_message`
   *   (SEC_E_ILLEGAL_MESSAGE, alert unexpected_message) for a TLS 1.3 outer type other than
   *   application_data or an all-zero inner plaintext; `protocol_version` (SEC_E_ILLEGAL_MESSAGE)
   *   for a TLS 1.2 record version other than 3,3; `sequence_overflow` / `destroyed`
   *   (SEC_E_CONTEXT_EXPIRED). The sequence number advances only on success.
   */
  open(record: Uint8Array): OpenResult {
    if (this.#destroyed)
      return failure("destroyed", SEC_E_CONTEXT_EXPIRED, null, "record protection destroyed");
    if (this.#exhausted) {
      return failure(
        "sequence_overflow",
        SEC_E_CONTEXT_EXPIRED,
        TLS1_ALERT_INTERNAL_ERROR,
        "sequence numbers exhausted",
      );
    }
    if (record.length < RECORD_HEADER_LENGTH) {
      return failure(
        "decode_error",
        SEC_E_DECRYPT_FAILURE,
        TLS1_ALERT_DECODE_ERROR,
        "record shorter than its header",
      );
    }
    const type = record[0]!;
    const fragmentLength = (record[3]! << 8) | record[4]!;
    if (RECORD_HEADER_LENGTH + fragmentLength !== record.length) {
      return failure(
        "decode_error",
        SEC_E_DECRYPT_FAILURE,
        TLS1_ALERT_DECODE_ERROR,
        `record header says ${fragmentLength} bytes, buffer holds ${record.length - RECORD_HEADER_LENGTH}`,
      );
    }
    const tls13 = this.#tls13;
    if (tls13 && type !== CONTENT_TYPE_APPLICATION_DATA) {
      return failure(
        "unexpected_message",
        SEC_E_ILLEGAL_MESSAGE,
        TLS1_ALERT_UNEXPECTED_MESSAGE,
        `unprotected record of type ${type} after the handshake`,
      );
    }
    if (!tls13 && (record[1] !== 3 || record[2] !== 3)) {
      return failure(
        "protocol_version",
        SEC_E_ILLEGAL_MESSAGE,
        TLS1_ALERT_PROTOCOL_VERSION,
        `record version ${record[1]}.${record[2]}`,
      );
    }
    if (fragmentLength > (tls13 ? MAX_CIPHERTEXT_LENGTH : MAX_CIPHERTEXT_LENGTH_TLS12)) {
      return failure(
        "record_overflow",
        SEC_E_DECRYPT_FAILURE,
        TLS1_ALERT_RECORD_OVERFLOW,
        `ciphertext of ${fragmentLength} bytes`,
      );
    }
    const explicit = this.suite.explicitNonceLength;
    const tagLength = this.suite.tagLength;
    if (fragmentLength < explicit + tagLength) {
      return failure(
        "decode_error",
        SEC_E_DECRYPT_FAILURE,
        TLS1_ALERT_DECODE_ERROR,
        `fragment of ${fragmentLength} bytes cannot hold the nonce and tag`,
      );
    }
    const cipherStart = RECORD_HEADER_LENGTH + explicit;
    const tagStart = record.length - tagLength;
    const nonce = this.#nonce;
    const aad = this.#aad;
    if (tls13) {
      this.#xorNonce();
      aad.set(record.subarray(0, RECORD_HEADER_LENGTH));
    } else {
      if (explicit > 0) nonce.set(record.subarray(RECORD_HEADER_LENGTH, cipherStart), 4);
      else this.#xorNonce();
      const plainLength = tagStart - cipherStart;
      if (plainLength > MAX_PLAINTEXT_LENGTH) {
        return failure(
          "record_overflow",
          SEC_E_DECRYPT_FAILURE,
          TLS1_ALERT_RECORD_OVERFLOW,
          `plaintext of ${plainLength} bytes`,
        );
      }
      this.#writeTls12Aad(type, plainLength);
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(this.suite.cipher as CipherGCMTypes, this.#key, nonce, AUTH_TAG);
      decipher.setAAD(aad);
      decipher.setAuthTag(record.subarray(tagStart));
      plaintext = decipher.update(record.subarray(cipherStart, tagStart));
      decipher.final();
    } catch {
      return failure(
        "bad_record_mac",
        SEC_E_MESSAGE_ALTERED,
        TLS1_ALERT_BAD_RECORD_MAC,
        "record authentication failed",
      );
    }
    let contentType = type;
    let length = plaintext.length;
    if (tls13) {
      // RFC 8446 §5.4: TLSInnerPlaintext (content, type, padding) is at most 2^14 + 1 bytes.
      if (length > MAX_PLAINTEXT_LENGTH + 1) {
        return failure(
          "record_overflow",
          SEC_E_DECRYPT_FAILURE,
          TLS1_ALERT_RECORD_OVERFLOW,
          `inner plaintext of ${length} bytes (content, type and padding) exceeds 2^14 + 1`,
        );
      }
      while (length > 0 && plaintext[length - 1] === 0) length--;
      if (length === 0) {
        return failure(
          "unexpected_message",
          SEC_E_ILLEGAL_MESSAGE,
          TLS1_ALERT_UNEXPECTED_MESSAGE,
          "inner plaintext has no content type",
        );
      }
      length--;
      contentType = plaintext[length]!;
      if (length > MAX_PLAINTEXT_LENGTH) {
        return failure(
          "record_overflow",
          SEC_E_DECRYPT_FAILURE,
          TLS1_ALERT_RECORD_OVERFLOW,
          `plaintext of ${length} bytes`,
        );
      }
    }
    this.#advance();
    return {
      ok: true,
      contentType,
      plaintext: length === plaintext.length ? plaintext : plaintext.subarray(0, length),
    };
  }

  /**
   * TLS 1.3: switches to keys derived from `newSecret` and restarts the sequence number at 0
   * (RFC 8446 §7.2, KeyUpdate; also the handshake → application switch). The old key, IV and
   * secret are zeroed; `newSecret` is copied.
   *
   * @throws RangeError for a TLS 1.2 suite or a secret of the wrong length (caller bugs).
   * @throws RecordError `destroyed` after {@link destroy}.
   */
  rekey(newSecret: Uint8Array): void {
    if (this.#destroyed)
      throw new RecordError("destroyed", SEC_E_CONTEXT_EXPIRED, null, "record protection destroyed");
    if (!this.#tls13) throw new RangeError("rekey is TLS 1.3 only");
    const { key, iv } = tls13TrafficKeys(this.suite, newSecret);
    this.#setKeys(key, iv);
    key.fill(0);
    iv.fill(0);
    this.#secret?.fill(0);
    this.#secret = Buffer.from(newSecret);
    this.sequence = 0n;
  }

  /**
   * TLS 1.3 KeyUpdate ratchet: replaces the stored traffic secret with the next one
   * (`"traffic upd"`) and re-keys, sequence number 0.
   *
   * @throws RangeError when this protection was not built from a traffic secret
   *   ({@link fromTls13TrafficSecret}) or is TLS 1.2.
   * @throws RecordError `destroyed` after {@link destroy}.
   */
  updateTrafficSecret(): void {
    if (this.#destroyed)
      throw new RecordError("destroyed", SEC_E_CONTEXT_EXPIRED, null, "record protection destroyed");
    if (this.#secret === null) throw new RangeError("no traffic secret to update");
    const next = nextTrafficSecret(this.suite, this.#secret);
    this.rekey(next);
    next.fill(0);
  }

  /** Overwrites the key, IV, nonce scratch and stored secret with zeros; later calls fail with `destroyed`. */
  destroy(): void {
    this.#destroyed = true;
    this.#key.fill(0);
    this.#iv.fill(0);
    this.#nonce.fill(0);
    this.#aad.fill(0);
    this.#secret?.fill(0);
    this.#secret = null;
    this.#ivHi = 0;
    this.#ivLo = 0;
  }

  #setKeys(key: Uint8Array, iv: Uint8Array): void {
    if (key.length !== this.suite.keyLength) {
      throw new RangeError(`${this.suite.ianaName}: key must be ${this.suite.keyLength} bytes`);
    }
    if (iv.length !== this.suite.fixedIvLength) {
      throw new RangeError(`${this.suite.ianaName}: IV must be ${this.suite.fixedIvLength} bytes`);
    }
    this.#key.fill(0);
    this.#iv.fill(0);
    this.#key = Buffer.from(key);
    this.#iv = Buffer.from(iv);
    this.#nonce.fill(0);
    if (iv.length === 12) {
      this.#nonce.set(this.#iv.subarray(0, 4), 0);
      this.#ivHi = this.#iv.readUInt32BE(4);
      this.#ivLo = this.#iv.readUInt32BE(8);
    } else {
      this.#nonce.set(this.#iv, 0);
    }
  }

  #checkSeal(length: number): void {
    if (this.#destroyed)
      throw new RecordError("destroyed", SEC_E_CONTEXT_EXPIRED, null, "record protection destroyed");
    if (this.#exhausted) {
      throw new RecordError("sequence_overflow", SEC_E_CONTEXT_EXPIRED, null, "sequence numbers exhausted");
    }
    if (length > MAX_PLAINTEXT_LENGTH) {
      throw new RecordError(
        "plaintext_too_long",
        SEC_E_INVALID_PARAMETER,
        null,
        `plaintext of ${length} bytes exceeds 16384`,
      );
    }
  }

  /** Writes the record header (and explicit nonce) into `header`, sets the nonce and AAD, returns the cipher. */
  #beginSeal(contentType: number, fragmentLength: number, plainLength: number, header: Uint8Array) {
    header[0] = this.#tls13 ? CONTENT_TYPE_APPLICATION_DATA : contentType;
    header[1] = 3;
    header[2] = 3;
    header[3] = fragmentLength >>> 8;
    header[4] = fragmentLength & 0xff;
    const aad = this.#aad;
    if (this.#tls13) {
      this.#xorNonce();
      aad.set(header.subarray(0, RECORD_HEADER_LENGTH));
    } else {
      if (this.suite.explicitNonceLength > 0) {
        const nonce = this.#nonce;
        nonce.writeUInt32BE(this.#seqHi, 4);
        nonce.writeUInt32BE(this.#seqLo, 8);
        header.set(nonce.subarray(4, 12), RECORD_HEADER_LENGTH);
      } else {
        this.#xorNonce();
      }
      this.#writeTls12Aad(contentType, plainLength);
    }
    const cipher = createCipheriv(this.suite.cipher as CipherGCMTypes, this.#key, this.#nonce, AUTH_TAG);
    cipher.setAAD(aad);
    return cipher;
  }

  /** TLS 1.2 AAD: seq_num(8) || type(1) || version(2) || length(2). */
  #writeTls12Aad(contentType: number, plainLength: number): void {
    const aad = this.#aad;
    aad.writeUInt32BE(this.#seqHi, 0);
    aad.writeUInt32BE(this.#seqLo, 4);
    aad[8] = contentType;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = plainLength >>> 8;
    aad[12] = plainLength & 0xff;
  }

  /** nonce = iv XOR (0^32 || seq_num), RFC 8446 §5.3 and RFC 7905 §2. */
  #xorNonce(): void {
    const nonce = this.#nonce;
    nonce.writeUInt32BE((this.#ivHi ^ this.#seqHi) >>> 0, 4);
    nonce.writeUInt32BE((this.#ivLo ^ this.#seqLo) >>> 0, 8);
  }

  #advance(): void {
    if (this.#seqLo === 0xffffffff) {
      this.#seqLo = 0;
      if (this.#seqHi === 0xffffffff) this.#exhausted = true;
      else this.#seqHi++;
    } else {
      this.#seqLo++;
    }
  }

  /** @internal Stores the traffic secret for {@link updateTrafficSecret} (copied). */
  setTrafficSecret(secret: Uint8Array): void {
    this.#secret?.fill(0);
    this.#secret = Buffer.from(secret);
  }
}

function copyInto(source: Buffer, target: Uint8Array, offset: number): number {
  target.set(source, offset);
  return source.length;
}

/**
 * One direction of TLS 1.3 protection from a traffic secret (`CLIENT_TRAFFIC_SECRET_0`,
 * `SERVER_HANDSHAKE_TRAFFIC_SECRET`, …). The secret is kept (copied) so that KeyUpdate can ratchet
 * it ({@link RecordProtection.updateTrafficSecret}).
 *
 * @param sequence - sequence number of the next record (0; 2 for a server's write side after
 *   OpenSSL's two tickets).
 * @returns the protection.
 * @throws RangeError when the suite is not TLS 1.3 or the secret length is not the hash length.
 */
export function fromTls13TrafficSecret(
  suite: CipherSuite,
  secret: Uint8Array,
  sequence = 0n,
): RecordProtection {
  if (suite.version !== "TLSv1.3") throw new RangeError(`${suite.ianaName} is not a TLS 1.3 suite`);
  const { key, iv } = tls13TrafficKeys(suite, secret);
  const protection = new RecordProtection(suite, "TLSv1.3", key, iv, sequence);
  key.fill(0);
  iv.fill(0);
  protection.setTrafficSecret(secret);
  return protection;
}

/** Both directions of a connection's protection. */
export interface RecordProtectionPair {
  /** Opens what the peer sends. */
  readonly read: RecordProtection;
  /** Seals what we send. */
  readonly write: RecordProtection;
}

/**
 * Both directions of TLS 1.2 protection from the master secret and the hello randoms
 * (RFC 5246 §6.3 key block). The client writes with the client keys, the server with the server keys.
 *
 * @param role - whose side we are.
 * @param sequences - next sequence numbers; both default to 1 (the Finished messages used 0).
 * @returns `{ read, write }`.
 * @throws RangeError when the suite is not TLS 1.2 or an input has the wrong length.
 */
export function fromTls12KeyBlock(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  role: "client" | "server",
  sequences: { read?: bigint; write?: bigint } = {},
): RecordProtectionPair {
  const block = tls12KeyBlock(suite, masterSecret, clientRandom, serverRandom);
  const client = new RecordProtection(suite, "TLSv1.2", block.clientWriteKey, block.clientWriteIv);
  const server = new RecordProtection(suite, "TLSv1.2", block.serverWriteKey, block.serverWriteIv);
  for (const part of [block.clientWriteKey, block.clientWriteIv, block.serverWriteKey, block.serverWriteIv]) {
    part.fill(0);
  }
  const read = role === "client" ? server : client;
  const write = role === "client" ? client : server;
  read.sequence = sequences.read ?? 1n;
  write.sequence = sequences.write ?? 1n;
  return { read, write };
}
