/**
 * The direct record layer of an established connection (the kernel-TLS analogue): after the
 * handshake the traffic keys live here, and EncryptMessage/DecryptMessage run synchronously on the
 * caller's thread, one record per call.
 *
 * Post-handshake policy (what {@link DirectRecordLayer.decryptRecord} does with each record):
 *
 * | received | result | side effect |
 * |---|---|---|
 * | application_data | `data` (possibly 0 bytes) | — |
 * | TLS 1.3 NewSessionTicket (client side) | `handshake` with a `ticket` message (whole message) | kept by the caller, e.g. re-sealed to the engine for resumption |
 * | TLS 1.3 KeyUpdate | `handshake` with a `key-update` message | read side re-keyed; if update_requested, our KeyUpdate(update_not_requested) is sealed, the write side re-keyed, and the record queued as pending output |
 * | TLS 1.2 HelloRequest (client side) / ClientHello (server side) | `handshake` with `renegotiation-refused` | a warning `no_renegotiation` alert is queued |
 * | TLS 1.3 CertificateRequest (post-handshake auth) | `error` unexpected_message | we never offer `post_handshake_auth`, so RFC 8446 §4.6.2 requires unexpected_message |
 * | TLS 1.3 ClientHello, any other handshake message | `error` unexpected_message | fatal alert queued |
 * | change_cipher_spec | `error` unexpected_message | after the handshake it is never legal (RFC 8446 §5 allows it only during the handshake) |
 * | alert close_notify | `closed` (SEC_I_CONTEXT_EXPIRED) | read side closed; we may still write (half-close) |
 * | TLS 1.2 warning alert; TLS 1.3 user_canceled | `alert` | — |
 * | any other alert | `error` with `remote: true` (SEC_E_ILLEGAL_MESSAGE) | layer failed both ways, nothing queued |
| empty application_data, more than {@link MAX_EMPTY_RECORDS} in a row | `error` unexpected_message | fatal alert queued |
 * | record that fails authentication | `error` bad_record_mac (SEC_E_MESSAGE_ALTERED) | fatal bad_record_mac queued |
 *
 * After any failure (local, or the peer's fatal alert) the layer is dead in both directions: every
 * sealing call returns `closed` (SEC_E_CONTEXT_EXPIRED); only the queued alert, if any, remains to
 * be taken with {@link DirectRecordLayer.takePendingOutput}.
 *
 * Handshake messages coalesced in one record are all returned, in order. A message fragmented
 * across records is reassembled: the fragment is buffered and the record reports `handshake` with
 * no messages; a record of another type arriving while a fragment is buffered is
 * unexpected_message, and so is a KeyUpdate that does not end its record (RFC 8446 §5.1).
 *
 * Pending output (KeyUpdate answers, alerts) must reach the peer before anything sealed later.
 * {@link DirectRecordLayer.encrypt}, {@link DirectRecordLayer.alert} and
 * {@link DirectRecordLayer.closeNotify} prepend it to their record; the in-place encrypt returns it
 * as `prefix`; {@link DirectRecordLayer.takePendingOutput} hands it over on its own.
 *
 * No method throws: every failure is a result with an SSPI status and the alert (if any) that
 * was queued for the peer.
 *
 * @module
 */
import {
  alertName,
  TLS1_ALERT_CLOSE_NOTIFY,
  TLS1_ALERT_DECODE_ERROR,
  TLS1_ALERT_FATAL,
  TLS1_ALERT_ILLEGAL_PARAMETER,
  TLS1_ALERT_NO_RENEGOTIATION,
  TLS1_ALERT_UNEXPECTED_MESSAGE,
  TLS1_ALERT_USER_CANCELED,
  TLS1_ALERT_WARNING,
} from "../../sspi/schannel-constants.js";
import {
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTEXT_EXPIRED,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import {
  HANDSHAKE_CERTIFICATE_REQUEST,
  HANDSHAKE_CLIENT_HELLO,
  HANDSHAKE_HEADER_LENGTH,
  HANDSHAKE_HELLO_REQUEST,
  HANDSHAKE_KEY_UPDATE,
  HANDSHAKE_NEW_SESSION_TICKET,
  KEY_UPDATE_NOT_REQUESTED,
  KEY_UPDATE_REQUESTED,
} from "../records/handshake-types.js";
import {
  CONTENT_TYPE_ALERT,
  CONTENT_TYPE_APPLICATION_DATA,
  CONTENT_TYPE_HANDSHAKE,
} from "../records/record-header.js";
import type { CipherSuite, TlsVersion } from "./cipher-suites.js";
import {
  fromTls12KeyBlock,
  fromTls13TrafficSecret,
  RecordError,
  type RecordErrorCode,
  type RecordFailure,
  type RecordProtection,
  type StreamSizes,
  streamSizes,
} from "./record-protection.js";

/** Largest post-handshake handshake message we reassemble (a NewSessionTicket is below 2^16 + 300). */
const MAX_HANDSHAKE_MESSAGE = 0x20000;

/** Consecutive empty application_data records accepted; one more is unexpected_message (OpenSSL's MAX_EMPTY_RECORDS). */
export const MAX_EMPTY_RECORDS = 32;

/** Errors the layer reports on top of {@link RecordErrorCode}. */
export type LayerErrorCode =
  | RecordErrorCode
  /** The peer sent a fatal alert (`alert` in the result is the description it sent). */
  | "remote_alert"
  /** The layer already failed, was closed for writing, saw close_notify, or was destroyed. */
  | "closed"
  /** A handshake message that is illegal after the handshake (or malformed). */
  | "illegal_parameter"
  /** KeyUpdate on a TLS 1.2 connection. */
  | "unsupported";

/** A failure reported by {@link DirectRecordLayer}. */
export interface LayerFailure {
  readonly ok: false;
  readonly kind: "error";
  readonly error: LayerErrorCode;
  readonly status: SECURITY_STATUS;
  /**
   * Local errors: the fatal alert description that was queued for the peer (take it with
   * {@link DirectRecordLayer.takePendingOutput}), or `null` when nothing was queued.
   * Remote errors (`remote: true`): the description the peer sent.
   */
  readonly alert: number | null;
  /** True when the peer sent a fatal alert. */
  readonly remote: boolean;
  readonly reason: string;
}

/** A post-handshake handshake message, after the layer handled it. */
export type PostHandshakeMessage =
  /** TLS 1.3 NewSessionTicket: the whole message (header included), for the caller to keep. */
  | { readonly kind: "ticket"; readonly message: Uint8Array }
  /** TLS 1.3 KeyUpdate: the read side was re-keyed; an answer was queued when `updateRequested`. */
  | { readonly kind: "key-update"; readonly updateRequested: boolean }
  /** TLS 1.2 HelloRequest/ClientHello: renegotiation refused, `no_renegotiation` warning queued. */
  | { readonly kind: "renegotiation-refused"; readonly messageType: number };

/** Result of {@link DirectRecordLayer.decryptRecord}. */
export type DecryptResult =
  | {
      readonly ok: true;
      readonly kind: "data";
      readonly status: SECURITY_STATUS;
      readonly plaintext: Uint8Array;
    }
  | {
      readonly ok: true;
      readonly kind: "handshake";
      readonly status: SECURITY_STATUS;
      /** Complete messages in this record, in order (empty when only a fragment arrived). */
      readonly messages: PostHandshakeMessage[];
    }
  /** close_notify received: status SEC_I_CONTEXT_EXPIRED. */
  | { readonly ok: true; readonly kind: "closed"; readonly status: SECURITY_STATUS }
  /** A non-fatal alert (TLS 1.2 warning, TLS 1.3 user_canceled). */
  | {
      readonly ok: true;
      readonly kind: "alert";
      readonly status: SECURITY_STATUS;
      readonly level: number;
      readonly description: number;
      readonly name: string;
    }
  | LayerFailure;

/** Result of the sealing calls: the bytes to send, pending output first. */
export type SealResult = { readonly ok: true; readonly record: Uint8Array } | LayerFailure;

/** Result of {@link DirectRecordLayer.encryptInPlace}. */
export type InPlaceResult =
  | {
      readonly ok: true;
      /** Bytes of the header buffer used. */
      readonly headerLength: number;
      /** Bytes of the trailer buffer used. */
      readonly trailerLength: number;
      /** Pending output (KeyUpdate answer, alerts) to send *before* this record, or `null`. */
      readonly prefix: Uint8Array | null;
    }
  | LayerFailure;

const OK_CLOSED = { ok: true, kind: "closed", status: SEC_I_CONTEXT_EXPIRED } as const;

function layerFailure(
  error: LayerErrorCode,
  status: SECURITY_STATUS,
  alert: number | null,
  reason: string,
  remote = false,
): LayerFailure {
  return { ok: false, kind: "error", error, status, alert, remote, reason };
}

function fromRecordFailure(f: RecordFailure | RecordError): LayerFailure {
  return layerFailure(f.error, f.status, f.alert, f.reason);
}

/** Construction options of {@link DirectRecordLayer}. */
export interface DirectRecordLayerOptions {
  /** Opens what the peer sends. */
  readonly read: RecordProtection;
  /** Seals what we send. Must have the same suite as `read`. */
  readonly write: RecordProtection;
  /** Our role: decides which post-handshake messages are legal (tickets only reach clients). */
  readonly role: "client" | "server";
}

/** The record layer of one established connection. Both protections are owned (and destroyed) by it. */
export class DirectRecordLayer {
  /** Read direction. */
  readonly read: RecordProtection;
  /** Write direction. */
  readonly write: RecordProtection;
  /** Our role. */
  readonly role: "client" | "server";
  readonly #tls13: boolean;
  #pending: Uint8Array[] = [];
  #keyUpdateQueued = false;
  #handshakeBuffer: Buffer | null = null;
  #failed: LayerFailure | null = null;
  #emptyRecords = 0;
  #readClosed = false;
  #writeClosed = false;
  #destroyed = false;

  /**
   * @throws RangeError when the two directions use different suites (a caller bug).
   */
  constructor(options: DirectRecordLayerOptions) {
    if (options.read.suite !== options.write.suite) throw new RangeError("read and write suites differ");
    this.read = options.read;
    this.write = options.write;
    this.role = options.role;
    this.#tls13 = options.read.version === "TLSv1.3";
  }

  /** The negotiated suite. */
  get suite(): CipherSuite {
    return this.read.suite;
  }

  /** The protocol version. */
  get version(): TlsVersion {
    return this.read.version;
  }

  /** Stream sizes for QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES). */
  get streamSizes(): StreamSizes {
    return streamSizes(this.suite);
  }

  /** True after close_notify was received. */
  get readClosed(): boolean {
    return this.#readClosed;
  }

  /** True after we sealed close_notify or a fatal alert. */
  get writeClosed(): boolean {
    return this.#writeClosed;
  }

  /** True after a fatal error, local or the peer's fatal alert: the connection is dead both ways. */
  get failed(): boolean {
    return this.#failed !== null;
  }

  /** True when there is pending output to send. */
  get hasPendingOutput(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * EncryptMessage: seals `plaintext` (≤ 16384 bytes) as one application_data record.
   *
   * @returns `{ ok: true, record }` — pending output (if any) followed by the new record; or a
   *   failure: `closed` (SEC_E_CONTEXT_EXPIRED) after closeNotify, a fatal alert, a fatal error or
   *   destroy; `plaintext_too_long` (SEC_E_INVALID_PARAMETER); `sequence_overflow`
   *   (SEC_E_CONTEXT_EXPIRED).
   */
  encrypt(plaintext: Uint8Array): SealResult {
    return this.#sealOutgoing(CONTENT_TYPE_APPLICATION_DATA, plaintext, false);
  }

  /**
   * EncryptMessage on `[STREAM_HEADER, DATA, STREAM_TRAILER]`: the header goes into `header`, the
   * ciphertext replaces the plaintext in `data`, the rest of the record into `trailer`.
   *
   * @returns header and trailer lengths used and the pending output to send first (`prefix`), or a
   *   failure: those of {@link encrypt}, plus `buffer_too_small` (SEC_E_BUFFER_TOO_SMALL) when the
   *   header or trailer buffer is smaller than the stream sizes.
   */
  encryptInPlace(header: Uint8Array, data: Uint8Array, trailer: Uint8Array): InPlaceResult {
    const blocked = this.#writeBlocked();
    if (blocked) return blocked;
    try {
      const trailerLength = this.write.sealInPlace(CONTENT_TYPE_APPLICATION_DATA, header, data, trailer);
      return {
        ok: true,
        headerLength: this.write.headerLength,
        trailerLength,
        prefix: this.takePendingOutput(),
      };
    } catch (e) {
      return this.#sealError(e);
    }
  }

  /**
   * DecryptMessage: opens one whole record and applies the post-handshake policy (see the module
   * documentation).
   *
   * @returns `data`, `handshake`, `closed` or `alert`, or a failure: the {@link RecordProtection.open}
   *   failures (bad_record_mac → SEC_E_MESSAGE_ALTERED, record_overflow/decode_error →
   *   SEC_E_DECRYPT_FAILURE, unexpected_message → SEC_E_ILLEGAL_MESSAGE), each with its fatal alert
   *   queued; `unexpected_message`/`illegal_parameter`/`decode_error` (SEC_E_ILLEGAL_MESSAGE) for
   *   illegal post-handshake messages; `remote_alert` (SEC_E_ILLEGAL_MESSAGE) for a fatal alert
   *   from the peer; `closed` (SEC_E_CONTEXT_EXPIRED) after close_notify, a failure, or destroy.
   */
  decryptRecord(record: Uint8Array): DecryptResult {
    if (this.#destroyed) return layerFailure("closed", SEC_E_CONTEXT_EXPIRED, null, "record layer destroyed");
    if (this.#failed)
      return layerFailure("closed", SEC_E_CONTEXT_EXPIRED, null, `failed: ${this.#failed.reason}`);
    if (this.#readClosed) {
      return layerFailure("closed", SEC_E_CONTEXT_EXPIRED, null, "peer already sent close_notify");
    }
    const opened = this.read.open(record);
    if (!opened.ok) return this.#fail(opened.error, opened.status, opened.alert, opened.reason);
    const { contentType, plaintext } = opened;
    if (this.#handshakeBuffer !== null && contentType !== CONTENT_TYPE_HANDSHAKE) {
      return this.#unexpected(`record of type ${contentType} inside a fragmented handshake message`);
    }
    if (plaintext.length > 0) this.#emptyRecords = 0;
    switch (contentType) {
      case CONTENT_TYPE_APPLICATION_DATA:
        if (plaintext.length === 0 && ++this.#emptyRecords > MAX_EMPTY_RECORDS)
          return this.#unexpected(`more than ${MAX_EMPTY_RECORDS} consecutive empty records`);
        return { ok: true, kind: "data", status: SEC_E_OK, plaintext };
      case CONTENT_TYPE_HANDSHAKE:
        return this.#handshake(plaintext);
      case CONTENT_TYPE_ALERT:
        return this.#receivedAlert(plaintext);
      default:
        return this.#unexpected(`record of type ${contentType} after the handshake`);
    }
  }

  /**
   * TLS 1.3: queues a KeyUpdate and re-keys the write side (RFC 8446 §4.6.3). With `requestPeer`
   * the peer must answer with its own KeyUpdate before its next application data; the answer is
   * handled by {@link decryptRecord}.
   *
   * @returns `{ ok: true, record }` with the pending output including the KeyUpdate record (it is
   *   also removed from the queue), or a failure: `unsupported` (SEC_E_UNSUPPORTED_FUNCTION) on
   *   TLS 1.2, and the failures of {@link encrypt}.
   */
  initiateKeyUpdate(requestPeer: boolean): SealResult {
    if (!this.#tls13) {
      return layerFailure(
        "unsupported",
        SEC_E_UNSUPPORTED_FUNCTION,
        null,
        "KeyUpdate exists only in TLS 1.3",
      );
    }
    const blocked = this.#writeBlocked();
    if (blocked) return blocked;
    try {
      this.#queueKeyUpdate(requestPeer ? KEY_UPDATE_REQUESTED : KEY_UPDATE_NOT_REQUESTED);
    } catch (e) {
      return this.#sealError(e);
    }
    return { ok: true, record: this.takePendingOutput()! };
  }

  /**
   * Seals a close_notify alert; afterwards the write side is closed (reading continues: TLS 1.3
   * half-close).
   *
   * @returns pending output followed by the alert record, or the failures of {@link encrypt}.
   */
  closeNotify(): SealResult {
    const result = this.alert(TLS1_ALERT_WARNING, TLS1_ALERT_CLOSE_NOTIFY);
    return result;
  }

  /**
   * Seals an alert (`level` TLS1_ALERT_WARNING / TLS1_ALERT_FATAL, `description` a TLS1_ALERT_*
   * number), e.g. the `bad_certificate` a JavaScript-side check decided. A fatal alert or
   * close_notify closes the write side.
   *
   * @returns pending output followed by the alert record, or the failures of {@link encrypt}.
   */
  alert(level: number, description: number): SealResult {
    const closes = level === TLS1_ALERT_FATAL || description === TLS1_ALERT_CLOSE_NOTIFY;
    const result = this.#sealOutgoing(CONTENT_TYPE_ALERT, Uint8Array.of(level, description), closes);
    return result;
  }

  /**
   * Bytes the layer needs sent (KeyUpdate answers, no_renegotiation warnings, fatal alerts after a
   * local error), in order, and clears the queue.
   *
   * @returns the bytes, or `null` when nothing is pending.
   */
  takePendingOutput(): Uint8Array | null {
    const pending = this.#pending;
    if (pending.length === 0) return null;
    this.#pending = [];
    this.#keyUpdateQueued = false;
    return pending.length === 1 ? pending[0]! : Buffer.concat(pending);
  }

  /** Zeroes keys, IVs, secrets and buffered handshake bytes of both directions; later calls fail with `closed`. */
  destroy(): void {
    this.#destroyed = true;
    this.read.destroy();
    this.write.destroy();
    this.#handshakeBuffer?.fill(0);
    this.#handshakeBuffer = null;
    this.#pending = [];
  }

  #writeBlocked(): LayerFailure | null {
    if (this.#destroyed) return layerFailure("closed", SEC_E_CONTEXT_EXPIRED, null, "record layer destroyed");
    if (this.#failed) {
      return layerFailure("closed", SEC_E_CONTEXT_EXPIRED, null, `failed: ${this.#failed.reason}`);
    }
    if (this.#writeClosed) {
      return layerFailure(
        "closed",
        SEC_E_CONTEXT_EXPIRED,
        null,
        "write side closed (close_notify or fatal alert sent)",
      );
    }
    return null;
  }

  #sealOutgoing(contentType: number, plaintext: Uint8Array, closes: boolean): SealResult {
    const blocked = this.#writeBlocked();
    if (blocked) return blocked;
    let record: Buffer;
    try {
      record = this.write.seal(contentType, plaintext);
    } catch (e) {
      return this.#sealError(e);
    }
    if (closes) this.#writeClosed = true;
    if (this.#pending.length === 0) return { ok: true, record };
    this.#pending.push(record);
    return { ok: true, record: this.takePendingOutput()! };
  }

  #sealError(e: unknown): LayerFailure {
    if (e instanceof RecordError) return fromRecordFailure(e);
    return layerFailure("closed", SEC_E_CONTEXT_EXPIRED, null, `sealing failed: ${String(e)}`);
  }

  /** Seals KeyUpdate(request) and ratchets the write side; throws RecordError from seal. */
  #queueKeyUpdate(request: number): void {
    const message = Uint8Array.of(HANDSHAKE_KEY_UPDATE, 0, 0, 1, request);
    this.#pending.push(this.write.seal(CONTENT_TYPE_HANDSHAKE, message));
    this.write.updateTrafficSecret();
    this.#keyUpdateQueued = true;
  }

  /** Records a local fatal error, queues its alert (when there is one and we can still write). */
  #fail(error: LayerErrorCode, status: SECURITY_STATUS, alert: number | null, reason: string): LayerFailure {
    let queued: number | null = null;
    if (alert !== null && !this.#writeClosed && !this.write.destroyed) {
      try {
        this.#pending.push(this.write.seal(CONTENT_TYPE_ALERT, Uint8Array.of(TLS1_ALERT_FATAL, alert)));
        queued = alert;
      } catch {
        // sequence numbers exhausted: nothing can be sent
      }
      this.#writeClosed = true;
    }
    const result = layerFailure(error, status, queued, reason);
    this.#failed = result;
    this.#handshakeBuffer?.fill(0);
    this.#handshakeBuffer = null;
    return result;
  }

  #unexpected(reason: string): LayerFailure {
    return this.#fail("unexpected_message", SEC_E_ILLEGAL_MESSAGE, TLS1_ALERT_UNEXPECTED_MESSAGE, reason);
  }

  #receivedAlert(plaintext: Uint8Array): DecryptResult {
    if (plaintext.length !== 2) {
      return this.#fail(
        "decode_error",
        SEC_E_ILLEGAL_MESSAGE,
        TLS1_ALERT_DECODE_ERROR,
        `alert record of ${plaintext.length} bytes`,
      );
    }
    const level = plaintext[0]!;
    const description = plaintext[1]!;
    if (description === TLS1_ALERT_CLOSE_NOTIFY) {
      this.#readClosed = true;
      return OK_CLOSED;
    }
    const warning = this.#tls13 ? description === TLS1_ALERT_USER_CANCELED : level === TLS1_ALERT_WARNING;
    if (warning) {
      return { ok: true, kind: "alert", status: SEC_E_OK, level, description, name: alertName(description) };
    }
    const failure = layerFailure(
      "remote_alert",
      SEC_E_ILLEGAL_MESSAGE,
      description,
      `peer sent fatal alert ${alertName(description)} (${description})`,
      true,
    );
    this.#failed = failure;
    return failure;
  }

  #handshake(plaintext: Buffer | Uint8Array): DecryptResult {
    let data: Uint8Array;
    if (this.#handshakeBuffer !== null) {
      data = Buffer.concat([this.#handshakeBuffer, plaintext]);
      this.#handshakeBuffer.fill(0);
      this.#handshakeBuffer = null;
    } else {
      if (plaintext.length === 0) return this.#unexpected("empty handshake record");
      data = plaintext;
    }
    const messages: PostHandshakeMessage[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (data.length - offset < HANDSHAKE_HEADER_LENGTH) break;
      const type = data[offset]!;
      const length = (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!;
      if (length > MAX_HANDSHAKE_MESSAGE) {
        return this.#fail(
          "decode_error",
          SEC_E_ILLEGAL_MESSAGE,
          TLS1_ALERT_DECODE_ERROR,
          `handshake message of ${length} bytes`,
        );
      }
      const end = offset + HANDSHAKE_HEADER_LENGTH + length;
      if (end > data.length) break;
      const message = data.subarray(offset, end);
      const handled = this.#handshakeMessage(type, message, end === data.length);
      if (!handled.ok) return handled;
      messages.push(handled.message);
      offset = end;
    }
    if (offset < data.length) this.#handshakeBuffer = Buffer.from(data.subarray(offset));
    return { ok: true, kind: "handshake", status: SEC_E_OK, messages };
  }

  #handshakeMessage(
    type: number,
    message: Uint8Array,
    endsRecord: boolean,
  ): { ok: true; message: PostHandshakeMessage } | LayerFailure {
    const body = message.subarray(HANDSHAKE_HEADER_LENGTH);
    if (this.#tls13) {
      if (type === HANDSHAKE_NEW_SESSION_TICKET && this.role === "client") {
        return { ok: true, message: { kind: "ticket", message } };
      }
      if (type === HANDSHAKE_KEY_UPDATE) return this.#keyUpdate(body, endsRecord);
      if (type === HANDSHAKE_CERTIFICATE_REQUEST) {
        return this.#unexpected("post-handshake CertificateRequest (post_handshake_auth was not offered)");
      }
      return this.#unexpected(`handshake message ${type} after the TLS 1.3 handshake`);
    }
    if (
      (type === HANDSHAKE_HELLO_REQUEST && this.role === "client") ||
      (type === HANDSHAKE_CLIENT_HELLO && this.role === "server")
    ) {
      if (!this.#writeClosed) {
        try {
          this.#pending.push(
            this.write.seal(
              CONTENT_TYPE_ALERT,
              Uint8Array.of(TLS1_ALERT_WARNING, TLS1_ALERT_NO_RENEGOTIATION),
            ),
          );
        } catch (e) {
          return this.#sealError(e);
        }
      }
      return { ok: true, message: { kind: "renegotiation-refused", messageType: type } };
    }
    return this.#unexpected(`handshake message ${type} after the TLS 1.2 handshake`);
  }

  #keyUpdate(
    body: Uint8Array,
    endsRecord: boolean,
  ): { ok: true; message: PostHandshakeMessage } | LayerFailure {
    if (body.length !== 1) {
      return this.#fail(
        "decode_error",
        SEC_E_ILLEGAL_MESSAGE,
        TLS1_ALERT_DECODE_ERROR,
        "KeyUpdate body length",
      );
    }
    const request = body[0]!;
    if (request !== KEY_UPDATE_NOT_REQUESTED && request !== KEY_UPDATE_REQUESTED) {
      return this.#fail(
        "illegal_parameter",
        SEC_E_ILLEGAL_MESSAGE,
        TLS1_ALERT_ILLEGAL_PARAMETER,
        `KeyUpdate request_update ${request}`,
      );
    }
    if (!endsRecord) return this.#unexpected("KeyUpdate not at the end of its record");
    try {
      this.read.updateTrafficSecret();
      if (request === KEY_UPDATE_REQUESTED && !this.#keyUpdateQueued && !this.#writeClosed) {
        this.#queueKeyUpdate(KEY_UPDATE_NOT_REQUESTED);
      }
    } catch (e) {
      return this.#sealError(e);
    }
    return { ok: true, message: { kind: "key-update", updateRequested: request === KEY_UPDATE_REQUESTED } };
  }
}

/**
 * Builds a TLS 1.3 {@link DirectRecordLayer} from the two application traffic secrets.
 *
 * @param secrets - `CLIENT_TRAFFIC_SECRET_0` and `SERVER_TRAFFIC_SECRET_0` (keylog), copied.
 * @param sequences - next sequence numbers (default 0; a server's write side is 2 after OpenSSL's
 *   two tickets; a client's read side is the number of server records the engine already read).
 * @returns the layer.
 * @throws RangeError for a TLS 1.2 suite or wrong secret lengths (caller bugs).
 */
export function tls13RecordLayer(
  suite: CipherSuite,
  role: "client" | "server",
  secrets: { readonly client: Uint8Array; readonly server: Uint8Array },
  sequences: { readonly read?: bigint; readonly write?: bigint } = {},
): DirectRecordLayer {
  const ours = role === "client" ? secrets.client : secrets.server;
  const theirs = role === "client" ? secrets.server : secrets.client;
  return new DirectRecordLayer({
    read: fromTls13TrafficSecret(suite, theirs, sequences.read ?? 0n),
    write: fromTls13TrafficSecret(suite, ours, sequences.write ?? 0n),
    role,
  });
}

/**
 * Builds a TLS 1.2 {@link DirectRecordLayer} from the master secret and the hello randoms.
 *
 * @param masterSecret - the `CLIENT_RANDOM` keylog secret (extended master secret when negotiated).
 * @param serverRandom - from the ServerHello (`findServerRandom` in `records/server-hello.ts`).
 * @param sequences - next sequence numbers (default 1 for both: Finished used 0).
 * @returns the layer.
 * @throws RangeError for a TLS 1.3 suite or wrong input lengths (caller bugs).
 */
export function tls12RecordLayer(
  suite: CipherSuite,
  role: "client" | "server",
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  sequences: { readonly read?: bigint; readonly write?: bigint } = {},
): DirectRecordLayer {
  const pair = fromTls12KeyBlock(suite, masterSecret, clientRandom, serverRandom, role, sequences);
  return new DirectRecordLayer({ read: pair.read, write: pair.write, role });
}
