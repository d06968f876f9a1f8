/**
 * `TlsContext`: one TLS connection over one Schannel `CtxtHandle`, in promise form and
 * transport-agnostic: bytes in, bytes out.
 *
 * ```ts
 * await using context = new TlsContext(credentials, { serverName: "example.test" });
 * const leftover = await context.handshake({ send, receive });   // or drive step() yourself
 * send(context.encrypt(new TextEncoder().encode("hello")));
 * const { plaintext, toSend, closed } = await context.decrypt(received);
 * send(await context.shutdown());
 * ```
 *
 * Life cycle: **handshake** (`step()` until `done`) → **established** (`encrypt`, `decrypt`,
 * `keyUpdate`, the getters) → **closed** (`close()`, a failure, or an aborted step). A closed
 * context is deleted (`DeleteSecurityContext`) and every method then throws an `SspiError`
 * with `SEC_E_INVALID_HANDLE`. Operations that call the package (`step`, `decrypt`,
 * `shutdown`, `keyUpdate`) run one at a time in call order.
 *
 * @module
 */
import type { X509Certificate } from "node:crypto";
import * as sspi from "../async/promises.js";
import type { SecPkgContext_TlsSessionEx } from "../schannel/context-attributes.js";
import { keyUpdateToken, shutdownToken } from "../schannel/control-tokens.js";
import { sessionBlobError } from "../schannel/native/session-blob.js";
import { SECPKG_ATTR_TLS_SESSION_EX } from "../sspi/attributes.js";
import { ApplyControlToken, QueryContextAttributes } from "../sspi/context-functions.js";
import { CtxtHandle, SecInvalidateHandle, SecIsValidHandle } from "../sspi/handles.js";
import {
  FAILED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_RENEGOTIATE,
  type SECURITY_STATUS,
  statusName,
} from "../sspi/status.js";
import { box, type SecBuffer, secBufferDesc } from "../sspi/types.js";
import { raceAbort } from "./abort.js";
import { copyBytes, EMPTY, joinBytes } from "./bytes.js";
import { type ContextCallResult, callContext } from "./context-call.js";
import type { TlsVersion } from "./credential-options.js";
import type { TlsCredentials } from "./credentials.js";
import { type HandshakeIo, runHandshake } from "./handshake.js";
import { openRecord, sealRecords } from "./message-calls.js";
import {
  alpnProtocolOf,
  type CertificateCheck,
  certificateCheckOf,
  cipherSuiteOf,
  exportKeyingMaterialOf,
  keyExchangeGroupOf,
  peerCertificateOf,
  protocolOf,
  resumedOf,
  type StreamSizes,
  streamSizesOf,
} from "./tls-attributes.js";
import { failureOf, TlsError, usageError } from "./tls-error.js";

/** Per-connection options. */
export interface TlsContextOptions {
  /**
   * Client (required): the server's name, sent as SNI and checked against its certificate, or
   * its IP address (checked against the certificate's IP address SANs, not sent). `null` checks
   * no name — an explicit opt-out: the chain is still validated, so any certificate from a
   * trusted root passes.
   */
  serverName?: string | null;
  /** Client: ALPN ids to offer, preferred first (default: the credentials' `alpn`; null: none). */
  alpn?: readonly string[] | null;
  /** Server: ask the client for a certificate (`ASC_REQ_MUTUAL_AUTH`). */
  requestClientCertificate?: boolean;
  /**
   * Client: a session from {@link TlsContext.getSession} (of this or another credentials, in
   * this or another process) to resume, as Node's `session` option. It is offered only when it
   * was validated under the same rules as this context: the same `serverName`, the same
   * validation (`noServerNameCheck` or not; a manually validated connection never exports one)
   * and the same trusted roots; otherwise the handshake is a full one. A resumed server's
   * certificate (kept in the session) is checked against `serverName` again.
   */
  session?: Uint8Array;
}

/** Options of one asynchronous operation. */
export interface OperationOptions {
  /**
   * Cancels the operation: its promise rejects with an `AbortError` and the context is
   * deleted. A TLS handshake cannot be resumed from the middle of a step, so an aborted
   * context is unusable (every later call throws `SEC_E_INVALID_HANDLE`).
   */
  signal?: AbortSignal;
}

/** What one handshake step returned. */
export interface StepResult {
  /** `SEC_E_OK` (handshake complete), `SEC_I_CONTINUE_NEEDED` or `SEC_E_INCOMPLETE_MESSAGE` (or `SEC_I_CONTEXT_EXPIRED` after a handshake-time `shutdown()`). */
  status: SECURITY_STATUS;
  /** The status's name, e.g. `"SEC_I_CONTINUE_NEEDED"`. */
  statusName: string;
  /** Bytes to send to the peer now (possibly empty; also possibly non-empty when `done`). */
  output: Uint8Array;
  /**
   * Input bytes not consumed. The next input is always `extra` followed by newly received
   * bytes. With `SEC_E_INCOMPLETE_MESSAGE` it is the whole input; with `SEC_I_CONTINUE_NEEDED`
   * and non-empty `extra`, call `step(extra)` again before waiting for the peer; when `done`
   * it holds application or post-handshake records for {@link TlsContext.decrypt}.
   */
  extra: Uint8Array;
  /** With `SEC_E_INCOMPLETE_MESSAGE`: about how many more bytes are needed (0 if unknown). */
  missing: number;
  /** True when the handshake is complete (`SEC_E_OK`). */
  done: boolean;
}

/** What {@link TlsContext.decrypt} returned. */
export interface DecryptResult {
  /** The application data of every complete record, in order (possibly empty). */
  plaintext: Uint8Array;
  /** Trailing bytes of an incomplete record: pass them, followed by new bytes, to the next call. */
  rest: Uint8Array;
  /** With a non-empty `rest`: about how many more bytes complete the record (0 if unknown). */
  missing: number;
  /** True when the peer sent close_notify: no more data will come (answer with `shutdown()`). */
  closed: boolean;
  /** True when a post-handshake message needed an answer (`SEC_I_RENEGOTIATE`: a TLS 1.3 KeyUpdate with update_requested, or a refused TLS 1.2 renegotiation). */
  renegotiate: boolean;
  /** Bytes to send to the peer (the KeyUpdate answer or `no_renegotiation` alert), possibly empty. */
  toSend: Uint8Array;
}

type State = "handshake" | "established" | "closed";

/**
 * One TLS connection (client or server, by the credentials' role) over one `CtxtHandle`.
 * See the module documentation for the life cycle.
 */
export class TlsContext {
  /** The credentials this context was created with. */
  readonly credentials: TlsCredentials;
  /** `"client"` or `"server"`. */
  readonly role: "client" | "server";
  /** The underlying handle, for the SSPI-shaped functions (invalid before the first step and after close). */
  readonly handle: CtxtHandle = new CtxtHandle();
  readonly #serverName: string | null;
  readonly #alpn: readonly string[] | null;
  readonly #mutualAuth: boolean;
  #state: State = "handshake";
  #closedReason = "";
  #queue: Promise<unknown> = Promise.resolve();
  #disposal: Promise<void> | null = null;
  #sizes: StreamSizes | null = null;
  #peerClosed = false;
  readonly #offeredSession: Uint8Array | null;
  /** Client: the newest session exported, and how many arrived (kept after close). */
  #session: { latest: Uint8Array | null; received: number } = { latest: null, received: 0 };

  /**
   * Creates a context; nothing is sent until the first {@link step}.
   *
   * @throws {SspiError} `SEC_E_INVALID_HANDLE` when the credentials are closed.
   * @throws {TypeError} for client credentials without `serverName` (give the name, or `null`
   *   to check no name explicitly) or with an empty one; for a `session` that is not one from
   *   {@link getSession} (garbage, truncated, another format) or given to a server.
   */
  constructor(credentials: TlsCredentials, options: TlsContextOptions = {}) {
    credentials.assertOpen(
      credentials.role === "client" ? "InitializeSecurityContext" : "AcceptSecurityContext",
    );
    if (credentials.role === "client") {
      const name = options.serverName;
      if (name === undefined || (name !== null && (typeof name !== "string" || name.length === 0)))
        throw new TypeError(
          "TlsContext: a client context needs options.serverName — the name (or IP address) the " +
            "server's certificate must match; null checks no name, explicitly",
        );
    }
    if (options.session !== undefined) {
      if (credentials.role !== "client")
        throw new TypeError("TlsContext: options.session resumes a client connection; this is a server");
      const problem = sessionBlobError(options.session);
      if (problem !== null) throw new TypeError(`TlsContext: options.session: ${problem}`);
    }
    this.#offeredSession = options.session === undefined ? null : copyBytes(options.session);
    this.credentials = credentials;
    this.role = credentials.role;
    this.#serverName = options.serverName ?? null;
    this.#alpn = options.alpn === undefined ? credentials.alpn : options.alpn;
    this.#mutualAuth = options.requestClientCertificate ?? false;
  }

  /** `"handshake"`, `"established"` or `"closed"`. */
  get state(): State {
    return this.#state;
  }

  /** True once the handshake completed (and until close). */
  get established(): boolean {
    return this.#state === "established";
  }

  get #operation(): string {
    return this.role === "client" ? "InitializeSecurityContext" : "AcceptSecurityContext";
  }

  /** Throws the `SEC_E_INVALID_HANDLE` `SspiError` of a closed context. */
  #assertOpen(operation: string): void {
    if (this.#state === "closed") throw usageError(operation, SEC_E_INVALID_HANDLE, this.#closedReason);
  }

  /** Throws unless the handshake completed. */
  #assertEstablished(operation: string): void {
    this.#assertOpen(operation);
    if (this.#state !== "established")
      throw usageError(
        operation,
        SEC_E_INCOMPLETE_MESSAGE,
        "the handshake has not completed: step() until done",
      );
  }

  /** Runs `fn` after every earlier operation settled. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Marks the context closed and deletes the handle once the operations in flight settle. */
  #dispose(reason: string): Promise<void> {
    if (this.#disposal) return this.#disposal;
    this.#state = "closed";
    this.#closedReason = reason;
    this.#disposal = this.#queue.then(async () => {
      if (SecIsValidHandle(this.handle)) {
        await sspi.DeleteSecurityContext(this.handle);
        SecInvalidateHandle(this.handle);
      }
    });
    return this.#disposal;
  }

  /** One ISC/ASC call on this context. */
  #call(input: Uint8Array | null): Promise<ContextCallResult> {
    const first = !SecIsValidHandle(this.handle);
    return callContext({
      role: this.role,
      credential: first ? this.credentials.handle : null,
      context: this.handle,
      first,
      targetName: this.#serverName,
      alpn: this.#alpn,
      mutualAuth: this.#mutualAuth,
      session: first ? this.#offeredSession : null,
      input,
    });
  }

  /** Fails the context: builds the error with what must still be sent, and deletes the handle. */
  #fail(operation: string, status: SECURITY_STATUS, output: Uint8Array, plaintext = EMPTY): TlsError {
    const error = new TlsError(
      failureOf(operation, status, this.handle, this.credentials.handle),
      output,
      plaintext,
    );
    void this.#dispose(`the context failed: ${error.message}`);
    return error;
  }

  /**
   * One handshake step: `InitializeSecurityContext` (client) or `AcceptSecurityContext`
   * (server) on `input`, the bytes received since the last step (preceded by the last step's
   * `extra`). A client's first step takes no input and returns the ClientHello (input given to
   * it comes back as `extra`); a server's first step with no input returns
   * `SEC_E_INCOMPLETE_MESSAGE` without creating the context.
   *
   * @returns the step's result (see {@link StepResult}); on `done` the context is established.
   * @throws {TlsError} on a failed handshake, after which the context is closed. Send
   *   `error.output` (the alert) to the peer before closing the transport. Statuses include
   *   `SEC_E_UNTRUSTED_ROOT`, `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_EXPIRED`,
   *   `SEC_E_CERT_UNKNOWN`, `SEC_E_ILLEGAL_MESSAGE` (malformed input or a fatal alert from the
   *   peer, see `alertReceived`), `SEC_E_ALGORITHM_MISMATCH`, `SEC_E_INVALID_TOKEN`,
   *   `SEC_E_NO_CREDENTIALS`, `SEC_E_INTERNAL_ERROR`; `SEC_E_INVALID_HANDLE` when the context
   *   or its credentials are closed.
   * @throws {AbortError} when `options.signal` aborts first; the context is then deleted.
   */
  step(input: Uint8Array = EMPTY, options: OperationOptions = {}): Promise<StepResult> {
    const operation = this.#operation;
    const work = this.#exclusive(async () => {
      this.#assertOpen(operation);
      if (!SecIsValidHandle(this.handle)) this.credentials.assertOpen(operation);
      const first = !SecIsValidHandle(this.handle);
      if (first && this.role === "server" && input.byteLength === 0) {
        return result(SEC_E_INCOMPLETE_MESSAGE, EMPTY, EMPTY, 0, false);
      }
      const r = await this.#call(input);
      if (FAILED(r.status) && r.status !== SEC_E_INCOMPLETE_MESSAGE)
        throw this.#fail(operation, r.status, r.output);
      const consumedNothing = r.status === SEC_E_INCOMPLETE_MESSAGE || (first && this.role === "client");
      const extra = copyBytes(consumedNothing ? input : input.subarray(input.byteLength - r.extraLength));
      const done = r.status === SEC_E_OK && this.#state === "handshake";
      if (done) this.#establish();
      return result(r.status, r.output, extra, r.missing, r.status === SEC_E_OK);
    });
    return raceAbort(
      work,
      options.signal,
      () => void this.#dispose("the context was deleted after an aborted step"),
      "The TLS handshake step",
    );
  }

  #establish(): void {
    if (this.#state === "closed") return;
    this.#sizes = streamSizesOf(this.handle);
    this.#state = "established";
    this.#refreshSession();
  }

  /** Client: reads the newest exported session (`SECPKG_ATTR_TLS_SESSION_EX`). */
  #refreshSession(): void {
    if (this.role !== "client" || !SecIsValidHandle(this.handle)) return;
    const value = box<SecPkgContext_TlsSessionEx | null>(null);
    if (QueryContextAttributes(this.handle, SECPKG_ATTR_TLS_SESSION_EX, value) !== SEC_E_OK) return;
    const { pbSession, cSessionsReceived } = value.value!;
    this.#session = { latest: pbSession, received: cSessionsReceived };
  }

  /**
   * Client: the newest resumable session of this connection, as Node's
   * `TLSSocket.getSession()`: give it as `session` to a later connection (of any credentials, in
   * any process) to resume. TLS 1.2 sessions exist once the handshake completed; TLS 1.3 ones
   * when the server's ticket arrived (read through {@link decrypt}). Still answers after close.
   *
   * The session holds the connection's resumption secret: whoever has it can resume as this
   * client, and whoever can change it can choose the server this client trusts. Store it like a
   * private key.
   *
   * @returns a copy of the session, or undefined: none arrived yet, a server, manual validation
   *   (such sessions are never kept), or resumption disabled on the credentials.
   */
  getSession(): Buffer | undefined {
    this.#refreshSession();
    const latest = this.#session.latest;
    return latest === null ? undefined : Buffer.from(latest);
  }

  /** Client: how many sessions (tickets) arrived on this connection so far. */
  get sessionsReceived(): number {
    this.#refreshSession();
    return this.#session.received;
  }

  /**
   * Runs the whole handshake over `io`: sends every output (including a failure's alert),
   * receives until done.
   *
   * @returns the bytes received after the handshake (records for {@link decrypt}).
   * @throws {TlsError} as {@link step} (the alert has already been sent through `io`);
   *   `SEC_E_INCOMPLETE_MESSAGE` when `io.receive()` ends before the handshake completes.
   * @throws {AbortError} when `options.signal` aborts; the context is then deleted.
   */
  handshake(io: HandshakeIo, options: OperationOptions = {}): Promise<Uint8Array> {
    return runHandshake(this, io, options);
  }

  /**
   * Encrypts `plaintext` as application_data records (`EncryptMessage`), split into records of
   * at most `cbMaximumMessage` (16384) bytes. Synchronous; an empty input gives no record.
   *
   * @returns the records, ready to send in order.
   * @throws {TlsError} `SEC_E_CONTEXT_EXPIRED` after `shutdown()` or a failure, or while a
   *   `decrypt()` is still fetching the answer to a KeyUpdate (await it first);
   *   `SEC_E_INCOMPLETE_MESSAGE` before the handshake completed; `SEC_E_INVALID_HANDLE` after
   *   close. `error.output` holds the records already produced.
   */
  encrypt(plaintext: Uint8Array): Uint8Array {
    this.#assertEstablished("EncryptMessage");
    const sealed = sealRecords(this.handle, this.#sizes!, plaintext);
    if (sealed.status !== SEC_E_OK)
      throw new TlsError(failureOf("EncryptMessage", sealed.status, this.handle), sealed.records);
    return sealed.records;
  }

  /**
   * Decrypts every complete record in `bytes` (`DecryptMessage` in a loop), keeping the
   * plaintext of all of them. Post-handshake messages are handled: session tickets silently,
   * a KeyUpdate asking for ours (`SEC_I_RENEGOTIATE`) by fetching the answer from the package
   * (returned in `toSend`: send it before anything encrypted later), close_notify by returning
   * `closed` (records after it are ignored).
   *
   * @returns see {@link DecryptResult}. After `closed`, further calls return `closed` again.
   * @throws {TlsError} `SEC_E_MESSAGE_ALTERED` (a record failed authentication),
   *   `SEC_E_DECRYPT_FAILURE`, `SEC_E_ILLEGAL_MESSAGE` (a fatal alert from the peer, see
   *   `alertReceived`, or an illegal post-handshake message), `SEC_E_INVALID_TOKEN` (not TLS
   *   records); the context is then closed. `error.output` holds the alert to send, and
   *   `error.plaintext` the data decrypted from earlier records of `bytes`.
   *   `SEC_E_INCOMPLETE_MESSAGE` before the handshake completed; `SEC_E_INVALID_HANDLE` after close.
   */
  decrypt(bytes: Uint8Array): Promise<DecryptResult> {
    return this.#exclusive(async () => {
      this.#assertEstablished("DecryptMessage");
      const plaintext: Uint8Array[] = [];
      const toSend: Uint8Array[] = [];
      let renegotiate = false;
      let missing = 0;
      if (this.#peerClosed)
        return { plaintext: EMPTY, rest: EMPTY, missing, closed: true, renegotiate, toSend: EMPTY };
      let view: Uint8Array = copyBytes(bytes); // decrypted in place
      while (view.byteLength > 0) {
        const opened = openRecord(this.handle, view);
        const status = opened.status;
        if (status === SEC_E_INCOMPLETE_MESSAGE) {
          missing = opened.missing;
          break;
        }
        if (FAILED(status)) {
          const alert = await this.#call(null);
          throw this.#fail(
            "DecryptMessage",
            status,
            joinBytes([...toSend, alert.output]),
            joinBytes(plaintext),
          );
        }
        if (opened.plaintext.byteLength > 0) plaintext.push(opened.plaintext);
        view = opened.extra;
        if (status === SEC_I_CONTEXT_EXPIRED) {
          this.#peerClosed = true;
          view = EMPTY;
          break;
        }
        if (status === SEC_I_RENEGOTIATE) {
          renegotiate = true;
          const answer = await this.#call(null);
          if (FAILED(answer.status))
            throw this.#fail(
              this.#operation,
              answer.status,
              joinBytes([...toSend, answer.output]),
              joinBytes(plaintext),
            );
          toSend.push(answer.output);
        }
      }
      this.#refreshSession();
      return {
        plaintext: joinBytes(plaintext),
        rest: view,
        missing,
        closed: this.#peerClosed,
        renegotiate,
        toSend: joinBytes(toSend),
      };
    });
  }

  /**
   * Closes our side of the connection (`ApplyControlToken(SCHANNEL_SHUTDOWN)`, then ISC/ASC):
   * no more `encrypt()`; `decrypt()` still works (to read the peer's close_notify).
   * Idempotent: later calls return empty bytes.
   *
   * @returns the close_notify record to send (empty if it was already produced, or when
   *   nothing was ever sent).
   * @throws {TlsError} `SEC_E_INVALID_HANDLE` after close; the package's failure otherwise.
   */
  shutdown(): Promise<Uint8Array> {
    return this.#control("shutdown", shutdownToken());
  }

  /**
   * Starts a TLS 1.3 KeyUpdate (`ApplyControlToken` with the `SCHANNEL_KEY_UPDATE` extension
   * token, then ISC/ASC): our write keys change; with `requestPeer` the peer is asked to update
   * its keys too (its answer arrives through `decrypt()`).
   *
   * @returns the KeyUpdate record to send before anything encrypted afterwards.
   * @throws {TlsError} `SEC_E_UNSUPPORTED_FUNCTION` on TLS 1.2; `SEC_E_CONTEXT_EXPIRED` after
   *   shutdown; `SEC_E_INCOMPLETE_MESSAGE` before the handshake completed; `SEC_E_INVALID_HANDLE` after close.
   */
  keyUpdate(requestPeer = true): Promise<Uint8Array> {
    return this.#control("keyUpdate", keyUpdateToken(requestPeer));
  }

  #control(kind: "shutdown" | "keyUpdate", token: SecBuffer): Promise<Uint8Array> {
    return this.#exclusive(async () => {
      if (kind === "keyUpdate") this.#assertEstablished("ApplyControlToken");
      else this.#assertOpen("ApplyControlToken");
      if (!SecIsValidHandle(this.handle)) return EMPTY;
      const applied = ApplyControlToken(this.handle, secBufferDesc(token));
      if (applied !== SEC_E_OK) throw new TlsError(failureOf("ApplyControlToken", applied, this.handle));
      const r = await this.#call(null);
      if (FAILED(r.status)) throw this.#fail(this.#operation, r.status, r.output);
      return r.output;
    });
  }

  /**
   * The negotiated protocol version.
   *
   * @throws {SspiError} `SEC_E_INCOMPLETE_MESSAGE` before the handshake completed; `SEC_E_INVALID_HANDLE` after close.
   */
  get protocol(): TlsVersion {
    this.#assertEstablished("QueryContextAttributes");
    return protocolOf(this.handle);
  }

  /**
   * The negotiated cipher suite's IANA name (`TLS_AES_256_GCM_SHA384`, `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`, …).
   *
   * @throws {SspiError} as {@link protocol}.
   */
  get cipherSuite(): string {
    this.#assertEstablished("QueryContextAttributes");
    return cipherSuiteOf(this.handle);
  }

  /**
   * The key exchange group agreed on, as OpenSSL names it: `X25519`, `prime256v1`, `secp384r1`,
   * or on OpenSSL 3.5 and later (Node 24) the hybrid `X25519MLKEM768` Chromium and Node offer first.
   *
   * @throws {SspiError} as {@link protocol}.
   */
  get keyExchangeGroup(): string {
    this.#assertEstablished("QueryContextAttributes");
    return keyExchangeGroupOf(this.handle);
  }

  /**
   * The ALPN protocol agreed on, or null when none was.
   *
   * @throws {SspiError} as {@link protocol}.
   */
  get alpnProtocol(): string | null {
    this.#assertEstablished("QueryContextAttributes");
    return alpnProtocolOf(this.handle);
  }

  /**
   * The peer's certificate, or null when it sent none (a client that was not asked).
   *
   * @throws {SspiError} as {@link protocol}.
   */
  get peerCertificate(): X509Certificate | null {
    this.#assertEstablished("QueryContextAttributes");
    return peerCertificateOf(this.handle);
  }

  /**
   * True when the session was resumed (abbreviated handshake).
   *
   * @throws {SspiError} as {@link protocol}.
   */
  get resumed(): boolean {
    this.#assertEstablished("QueryContextAttributes");
    return resumedOf(this.handle);
  }

  /**
   * Client: the result of validating the server's chain, meaningful with `manualValidation`
   * (a validating context fails the handshake instead).
   *
   * @throws {SspiError} as {@link protocol}.
   */
  get certificateCheck(): CertificateCheck {
    this.#assertEstablished("QueryContextAttributes");
    return certificateCheckOf(this.handle);
  }

  /**
   * Keying material exported from the connection (RFC 5705, RFC 8446 §7.5), the same on both sides.
   *
   * @param length bytes wanted (1 to 16384).
   * @param label the exporter label, e.g. `"EXPORTER-my-protocol"`.
   * @param context the context value, or absent/null for none (TLS 1.2 distinguishes none from empty).
   * @returns the keying material.
   * @throws {SspiError} `SEC_E_INVALID_PARAMETER` (bad length or label), and as {@link protocol}.
   */
  exportKeyingMaterial(length: number, label: string, context: Uint8Array | null = null): Uint8Array {
    this.#assertEstablished("SetContextAttributes");
    return exportKeyingMaterialOf(this.handle, length, label, context);
  }

  /**
   * Deletes the context (`DeleteSecurityContext`) after the operations in flight settle.
   * Idempotent. Does not send close_notify: call {@link shutdown} first for a clean close.
   *
   * @returns when the handle is deleted; never rejects.
   */
  close(): Promise<void> {
    return this.#dispose("the TlsContext was closed");
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function result(
  status: SECURITY_STATUS,
  output: Uint8Array,
  extra: Uint8Array,
  missing: number,
  done: boolean,
): StepResult {
  return { status, statusName: statusName(status) ?? String(status), output, extra, missing, done };
}
