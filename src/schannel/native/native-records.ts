/**
 * The records of an established connection, in OpenSSL: EncryptMessage is one `SSL_write` and
 * DecryptMessage one `SSL_read` of one record, synchronous on the caller's thread, into the
 * caller's buffers. TLS 1.3 tickets, KeyUpdate (answered, and initiated on demand),
 * close_notify, renegotiation refusal and alerts are OpenSSL's; this class only turns its answers
 * into SSPI statuses and says which alert went which way.
 *
 * | received | result |
 * |---|---|
 * | application_data | `data` (possibly 0 bytes) |
 * | TLS 1.3 NewSessionTicket (client) | `control`: the session goes to the session cache |
 * | TLS 1.3 KeyUpdate | `control`; an answer OpenSSL wrote waits as pending output (SEC_I_RENEGOTIATE) |
 * | TLS 1.2 HelloRequest / ClientHello | `control`; OpenSSL's no_renegotiation warning waits as pending output |
 * | warning alert (TLS 1.2), user_canceled (TLS 1.3) | `control` with the alert received |
 * | close_notify | `closed` (SEC_I_CONTEXT_EXPIRED); writing stays possible (half-close) |
 * | anything OpenSSL refuses, a fatal alert | failure; the context is dead both ways; OpenSSL's alert (if any) waits as pending output |
 *
 * No method throws once the context is established: every failure is a result.
 *
 * @module
 */
import {
  TLS1_ALERT_CLOSE_NOTIFY,
  TLS1_ALERT_FATAL,
  TLS1_ALERT_WARNING,
} from "../../sspi/schannel-constants.js";
import {
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INTERNAL_ERROR,
  SEC_E_UNSUPPORTED_FUNCTION,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import { type AlertEvent, alertEventsOf, failureStatusOf } from "../tls-alert.js";
import { type NativeContext, OPEN, SEAL } from "./addon-types.js";

/** SecPkgContext_StreamSizes of the connection. */
export interface StreamSizes {
  readonly cbHeader: number;
  readonly cbTrailer: number;
  readonly cbMaximumMessage: number;
  readonly cBuffers: number;
  readonly cbBlockSize: number;
}

/** A failure: the status, why, and the alerts it sent or received. */
export interface RecordFailure {
  readonly ok: false;
  readonly status: SECURITY_STATUS;
  readonly reason: string;
  readonly alerts: readonly AlertEvent[];
}

/** Result of {@link NativeRecordLayer.decryptRecord}. */
export type DecryptResult =
  | {
      readonly ok: true;
      readonly kind: "data";
      readonly length: number;
      readonly alerts: readonly AlertEvent[];
      /** OpenSSL wrote an answer (KeyUpdate, no_renegotiation) that must reach the peer. */
      readonly pendingOutput: boolean;
    }
  | {
      readonly ok: true;
      readonly kind: "control" | "closed";
      readonly alerts: readonly AlertEvent[];
      readonly pendingOutput: boolean;
    }
  | RecordFailure;

/** Result of {@link NativeRecordLayer.encryptInPlace}. */
export type SealResult =
  | { readonly ok: true; readonly headerLength: number; readonly trailerLength: number }
  | RecordFailure;

/** Result of the control calls (close_notify, alert, KeyUpdate): the bytes now pending. */
export type ControlResult = { readonly ok: true } | RecordFailure;

const EMPTY = new Uint8Array(0);
const NO_ALERTS: readonly AlertEvent[] = Object.freeze([]);

function failure(status: SECURITY_STATUS, reason: string, alerts: readonly AlertEvent[] = []): RecordFailure {
  return { ok: false, status, reason, alerts };
}

/** The record layer of one established connection: OpenSSL's, through the addon. */
export class NativeRecordLayer {
  #readClosed = false;
  #destroyed = false;

  /**
   * @param native - the established SSL.
   * @param sizes - its stream sizes.
   * @param tls13 - the negotiated version is TLS 1.3.
   * @param keepSessions - takes the sessions OpenSSL produced while reading (TLS 1.3 tickets) into
   *   the session cache; returns them exported (`SECPKG_ATTR_TLS_SESSION_EX`), or none.
   */
  constructor(
    private readonly native: NativeContext,
    readonly streamSizes: StreamSizes,
    readonly tls13: boolean,
    private readonly keepSessions: () => Uint8Array[],
  ) {}

  /** Receives the exported sessions of tickets DecryptMessage read (the context keeps the newest). */
  sessionListener: ((sessions: Uint8Array[]) => void) | null = null;

  /** True after a fatal error, local or the peer's fatal alert: the connection is dead both ways. */
  get failed(): boolean {
    return this.#destroyed || this.native.isDead();
  }

  /** True when OpenSSL wrote something that must reach the peer before the next record. */
  get hasPendingOutput(): boolean {
    return !this.#destroyed && this.native.pendingOutput() > 0;
  }

  /**
   * EncryptMessage in place: the header into `header`, the ciphertext over `data`, the rest into
   * `trailer` (each at least the stream sizes; `data` at most 16384 bytes — the caller checks).
   *
   * @returns the header and trailer bytes used (both 0 for empty `data`: OpenSSL writes no empty
   *   record, so there is nothing to send), or `SEC_E_CONTEXT_EXPIRED` (dead, closed for writing, or
   *   output waiting to be taken), `SEC_E_INTERNAL_ERROR` (buffers OpenSSL's record does not fit).
   */
  encryptInPlace(header: Uint8Array, data: Uint8Array, trailer: Uint8Array): SealResult {
    if (this.#destroyed) return failure(SEC_E_CONTEXT_EXPIRED, "the context was deleted");
    const r = this.native.seal(header, data, trailer);
    if (r >= 0) return { ok: true, headerLength: header.byteLength, trailerLength: r };
    if (r === SEAL.EMPTY_DATA) return { ok: true, headerLength: 0, trailerLength: 0 };
    switch (r) {
      case SEAL.DEAD:
        return failure(
          SEC_E_CONTEXT_EXPIRED,
          "the connection failed (a fatal alert was sent or received): it is closed in both directions",
        );
      case SEAL.CLOSED_FOR_WRITING:
        return failure(
          SEC_E_CONTEXT_EXPIRED,
          "close_notify or a fatal alert was sent: the context is closed for writing",
        );
      case SEAL.DIED_WRITING:
        return this.#dead();
      case SEAL.PARTIAL_POST_HANDSHAKE:
        return failure(
          SEC_E_INCOMPLETE_MESSAGE,
          "a post-handshake message from the peer is only partly received: DecryptMessage the rest first",
        );
      case SEAL.OUTPUT_WAITING:
        return failure(
          SEC_E_CONTEXT_EXPIRED,
          "DecryptMessage returned SEC_I_RENEGOTIATE: call InitializeSecurityContext/AcceptSecurityContext to send its output first",
        );
      default:
        return failure(SEC_E_INTERNAL_ERROR, "the record does not fit the buffers");
    }
  }

  /**
   * DecryptMessage: OpenSSL reads `record` (one whole record, or only a header whose length is
   * beyond the version's limit) and writes its plaintext into `plaintext`.
   *
   * @returns `data` with the plaintext length, `control` (a ticket, KeyUpdate, refused
   *   renegotiation or warning alert: no data), `closed` (close_notify), or a failure with the
   *   status of {@link failureStatusOf}; `SEC_E_CONTEXT_EXPIRED` after close_notify was received
   *   or after a failure.
   */
  decryptRecord(record: Uint8Array, plaintext: Uint8Array): DecryptResult {
    if (this.#destroyed) return failure(SEC_E_CONTEXT_EXPIRED, "the context was deleted");
    if (this.#readClosed)
      return this.native.isDead()
        ? this.#deadBefore()
        : failure(SEC_E_CONTEXT_EXPIRED, "the peer already sent close_notify");
    // One native call: the status, with whether alerts, sessions or output wait (no array
    // crosses for the common record that has none).
    const v = this.native.open(record, plaintext.byteLength > 0 ? plaintext : SCRATCH);
    const r = v >> OPEN.STATUS_SHIFT;
    if (r === OPEN.DEAD_BEFORE) return this.#deadBefore();
    const alerts = (v & OPEN.FLAG_ALERTS) !== 0 ? alertEventsOf(this.native.takeAlerts()) : NO_ALERTS;
    if ((v & OPEN.FLAG_SESSIONS) !== 0) {
      const sessions = this.keepSessions();
      if (sessions.length > 0) this.sessionListener?.(sessions);
    }
    const pendingOutput = (v & OPEN.FLAG_OUTPUT) !== 0;
    if (r >= 0) return { ok: true, kind: "data", length: r, alerts, pendingOutput };
    if (r === OPEN.NO_APPLICATION_DATA) return { ok: true, kind: "control", alerts, pendingOutput };
    if (r === OPEN.CLOSE_NOTIFY) {
      this.#readClosed = true;
      return { ok: true, kind: "closed", alerts, pendingOutput };
    }
    return this.#dead(alerts);
  }

  #deadBefore(): RecordFailure {
    return failure(
      SEC_E_CONTEXT_EXPIRED,
      `the connection failed: ${this.native.lastError()?.reason ?? "TLS failure"}`,
    );
  }

  /**
   * Refuses a record before OpenSSL reads it (a rule OpenSSL does not check): sends the fatal
   * `description` alert under the current keys; the context is dead both ways.
   */
  refuse(description: number, status: SECURITY_STATUS, reason: string): RecordFailure {
    const sent = !this.#destroyed && !this.native.isDead() && this.native.sendAlert(2, description);
    const alerts: AlertEvent[] = sent ? alertEventsOf(this.native.takeAlerts()) : [];
    return failure(status, reason, alerts);
  }

  /** Queues close_notify (once; afterwards the write side is closed, reading continues). */
  closeNotify(): ControlResult {
    if (this.failed) return failure(SEC_E_CONTEXT_EXPIRED, "the connection failed");
    this.native.shutdown();
    return { ok: true };
  }

  /**
   * Queues an alert of `level` (TLS1_ALERT_WARNING / TLS1_ALERT_FATAL); a fatal one ends the
   * context both ways, close_notify closes the write side.
   *
   * @returns ok, or `SEC_E_UNSUPPORTED_FUNCTION` where this process's OpenSSL cannot send one.
   */
  alert(level: number, description: number): ControlResult {
    if (this.failed) return failure(SEC_E_CONTEXT_EXPIRED, "the connection failed");
    if (description === TLS1_ALERT_CLOSE_NOTIFY && level === TLS1_ALERT_WARNING) return this.closeNotify();
    const wireLevel = level === TLS1_ALERT_FATAL ? 2 : 1;
    if (!this.native.sendAlert(wireLevel, description))
      return failure(SEC_E_UNSUPPORTED_FUNCTION, "OpenSSL in this process cannot send that alert now");
    return { ok: true };
  }

  /**
   * TLS 1.3: OpenSSL sends a KeyUpdate (`SSL_key_update`) and re-keys its write side; with
   * `requestPeer` the peer answers with its own.
   *
   * @returns ok, `SEC_E_UNSUPPORTED_FUNCTION` on TLS 1.2, `SEC_E_CONTEXT_EXPIRED` when closed.
   */
  keyUpdate(requestPeer: boolean): ControlResult {
    if (!this.tls13) return failure(SEC_E_UNSUPPORTED_FUNCTION, "KeyUpdate exists only in TLS 1.3");
    if (this.failed) return failure(SEC_E_CONTEXT_EXPIRED, "the connection failed");
    if (!this.native.keyUpdate(requestPeer))
      return failure(SEC_E_CONTEXT_EXPIRED, "close_notify was sent: no KeyUpdate after it");
    return { ok: true };
  }

  /** What OpenSSL wrote and the peer must get (KeyUpdates, alerts, close_notify); empties it. */
  takePendingOutput(): Uint8Array {
    if (this.#destroyed) return EMPTY;
    const n = this.native.pendingOutput();
    if (n === 0) return EMPTY;
    const out = new Uint8Array(n);
    this.native.takeOutput(out);
    return out;
  }

  /**
   * RFC 5705 / RFC 8446 §7.5 keying material from OpenSSL (`SSL_export_keying_material`);
   * `context` null means none (TLS 1.2 tells none from empty).
   *
   * @returns the bytes, or null once the context was deleted.
   */
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array | null {
    if (this.#destroyed) return null;
    return context === null
      ? this.native.exportKeyingMaterial(length, label)
      : this.native.exportKeyingMaterial(length, label, context);
  }

  /** The context is being deleted: later calls fail with `SEC_E_CONTEXT_EXPIRED`. */
  destroy(): void {
    this.#destroyed = true;
  }

  #dead(alerts: readonly AlertEvent[] = alertEventsOf(this.native.takeAlerts())): RecordFailure {
    const reason = this.native.lastError()?.reason ?? "TLS failure";
    return failure(failureStatusOf(alerts, reason), reason, alerts);
  }
}

/** Plaintext of a record with no room for it is never application data (`out` must not be empty). */
const SCRATCH = new Uint8Array(1);
