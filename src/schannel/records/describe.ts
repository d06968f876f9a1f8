/**
 * Human-readable descriptions of the TLS records in a token, for traces such as
 * `ClientHello(243) ServerHello(127) CCS(6) enc(28) enc(1060)`.
 *
 * @module
 */

import { alertDescriptionName } from "../../sspi/schannel-constants.js";
import {
  CONTENT_TYPE_ALERT,
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_CHANGE_CIPHER_SPEC,
  CONTENT_TYPE_HANDSHAKE,
  CONTENT_TYPE_HEARTBEAT,
  parseRecordHeader,
  RECORD_HEADER_LENGTH,
  splitRecords,
} from "./record-header.js";
import { HELLO_RETRY_REQUEST_RANDOM } from "./server-hello.js";
import { alertLevelName, contentTypeName, handshakeTraceLabel } from "./tls-names.js";

/** One record (or the unparseable tail) of a token. */
export interface RecordDescription {
  /** The record's content type byte (for `Truncated`/`NotTLS`, the first byte of the tail). */
  readonly contentType: number;
  /** The content type's name (`"handshake"`), or `"unknown"`. */
  readonly contentTypeName: string;
  /** Whole record length, header included (for `Truncated`/`NotTLS`, the bytes left). */
  readonly length: number;
  /**
   * What the record holds: handshake message names joined with `+` (`"ServerHello+Certificate..."`;
   * a trailing `...` marks a message continued in the next record, a leading `...` its
   * continuation), `"HelloRetryRequest"`, `"CCS"`, `"Alert(fatal, unknown_ca)"`, `"enc"` for an
   * encrypted record, `"EncryptedAlert"`, `"Heartbeat"`, `"Truncated"` for an incomplete last
   * record, `"NotTLS"` for bytes that are not a TLS record header.
   */
  readonly label: string;
}

/** Options for {@link describeRecords}. */
export interface DescribeOptions {
  /**
   * `true`: every record's content is encrypted (a token from an established context);
   * `false`: only application-data records are. Default (`undefined`): handshake and alert
   * records after a ChangeCipherSpec in the same token are encrypted (TLS 1.2), except a record
   * that holds exactly a ClientHello or ServerHello (TLS 1.3 after a HelloRetryRequest).
   */
  readonly encrypted?: boolean;
}

/**
 * Describes every record of `token` in order.
 *
 * Application-data records are always `enc`. Plaintext handshake records are named by the
 * handshake messages they carry (several per record, messages spanning records), a ServerHello
 * with the special random as `HelloRetryRequest`. A plaintext alert is `Alert(level, description)`.
 *
 * @returns one description per complete record, then at most one more for the tail: `Truncated`
 *   when the last record is incomplete, `NotTLS` when the bytes at that point are not a TLS record
 *   header (nothing after it is described). An empty token gives `[]`. Never throws.
 */
export function describeRecords(token: Uint8Array, opts: DescribeOptions = {}): RecordDescription[] {
  const out: RecordDescription[] = [];
  try {
    const split = splitRecords(token);
    const stream = new HandshakeStream();
    let afterChangeCipherSpec = false;
    for (const record of split.records) {
      const fragment = token.subarray(record.offset + RECORD_HEADER_LENGTH, record.offset + record.length);
      const encrypted =
        opts.encrypted ?? (afterChangeCipherSpec && !isWholePlaintextHello(record.contentType, fragment));
      out.push(
        describe(
          record.contentType,
          record.length,
          labelFor(record.contentType, fragment, encrypted, stream),
        ),
      );
      if (record.contentType === CONTENT_TYPE_CHANGE_CIPHER_SPEC) afterChangeCipherSpec = true;
    }
    const tail = token.length - split.consumed;
    if (tail > 0) {
      const label = split.error !== undefined ? "NotTLS" : "Truncated";
      const header = parseRecordHeader(token, split.consumed);
      const length =
        header !== null && split.error === undefined ? RECORD_HEADER_LENGTH + header.length : tail;
      out.push(describe(token[split.consumed]!, split.error !== undefined ? tail : length, label));
    }
  } catch (e) {
    out.push(describe(0, 0, `InternalError(${e instanceof Error ? e.message : String(e)})`));
  }
  return out;
}

/**
 * Formats a token's records as one trace line, `label(length)` separated by spaces, e.g.
 * `ServerHello(127) CCS(6) enc(28)`. A truncated last record shows its full length and the bytes
 * present: `Truncated(517, have 200)`.
 *
 * @returns the trace line; `""` for an empty token. Never throws.
 */
export function formatRecordTrace(token: Uint8Array, opts: DescribeOptions = {}): string {
  const records = describeRecords(token, opts);
  let consumed = 0;
  return records
    .map((r) => {
      const have = token.length - consumed;
      consumed += r.length;
      return r.label === "Truncated" ? `Truncated(${r.length}, have ${have})` : `${r.label}(${r.length})`;
    })
    .join(" ");
}

function describe(contentType: number, length: number, label: string): RecordDescription {
  return { contentType, contentTypeName: contentTypeName(contentType) ?? "unknown", length, label };
}

function labelFor(
  contentType: number,
  fragment: Uint8Array,
  encrypted: boolean,
  stream: HandshakeStream,
): string {
  switch (contentType) {
    case CONTENT_TYPE_APPLICATION_DATA:
      return "enc";
    case CONTENT_TYPE_CHANGE_CIPHER_SPEC:
      return "CCS";
    case CONTENT_TYPE_ALERT:
      if (encrypted || fragment.length !== 2) return "EncryptedAlert";
      return `Alert(${alertLevelName(fragment[0]!) ?? fragment[0]}, ${alertDescriptionName(fragment[1]!) ?? fragment[1]})`;
    case CONTENT_TYPE_HANDSHAKE:
      return encrypted ? "enc" : stream.push(fragment);
    case CONTENT_TYPE_HEARTBEAT:
      return "Heartbeat";
    default:
      return `Unknown(${contentType})`;
  }
}

/** True when a handshake fragment is exactly one complete ClientHello or ServerHello. */
function isWholePlaintextHello(contentType: number, fragment: Uint8Array): boolean {
  if (contentType !== CONTENT_TYPE_HANDSHAKE || fragment.length < 4) return false;
  const type = fragment[0];
  const length = (fragment[1]! << 16) | (fragment[2]! << 8) | fragment[3]!;
  return (type === 1 || type === 2) && length + 4 === fragment.length && length >= 38;
}

/** Follows plaintext handshake messages across records to name each record's contents. */
class HandshakeStream {
  /** Bytes of a handshake header split across records. */
  private headerBytes: number[] = [];
  /** Body bytes still to come for the message in progress, and its label. */
  private remaining = 0;
  private current = "";

  push(fragment: Uint8Array): string {
    const parts: string[] = [];
    let at = 0;
    if (this.remaining > 0) {
      const n = Math.min(this.remaining, fragment.length);
      this.remaining -= n;
      at = n;
      parts.push(this.remaining > 0 ? `...${this.current}...` : `...${this.current}`);
    }
    while (at < fragment.length) {
      const take = Math.min(4 - this.headerBytes.length, fragment.length - at);
      for (let i = 0; i < take; i++) this.headerBytes.push(fragment[at + i]!);
      at += take;
      if (this.headerBytes.length < 4) {
        parts.push("Handshake...");
        break;
      }
      const [type, l0, l1, l2] = this.headerBytes as [number, number, number, number];
      this.headerBytes = [];
      const length = (l0 << 16) | (l1 << 8) | l2;
      const body = fragment.subarray(at, at + length);
      const label = type === 2 && isHelloRetryRandom(body) ? "HelloRetryRequest" : handshakeTraceLabel(type);
      const n = Math.min(length, fragment.length - at);
      at += n;
      if (n < length) {
        this.remaining = length - n;
        this.current = label;
        parts.push(`${label}...`);
      } else {
        parts.push(label);
      }
    }
    return parts.join("+");
  }
}

function isHelloRetryRandom(body: Uint8Array): boolean {
  if (body.length < 34) return false;
  for (let i = 0; i < 32; i++) if (body[2 + i] !== HELLO_RETRY_REQUEST_RANDOM[i]) return false;
  return true;
}
