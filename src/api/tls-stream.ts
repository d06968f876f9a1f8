/**
 * `SspiTlsStream`: a Node `Duplex` that runs TLS over any transport — a `Duplex` of ciphertext
 * (a TCP socket) or a {@link MessageTransport} (WebSocket-like, any chunking). Its readable
 * side emits plaintext and its writable side encrypts.
 *
 * - The handshake starts at construction; `'secure'` is emitted when it completes. Writes made
 *   before then wait for it.
 * - Failures destroy the stream with an `SspiError` (a `TlsError`) after the alert was sent to
 *   the peer.
 * - `end()` sends close_notify (then ends a `Duplex` transport's writable side); the peer's
 *   close_notify ends the readable side. With `allowHalfOpen: false` (the default, as for
 *   sockets) that in turn ends the writable side.
 * - Truncation (whether or not we sent close_notify first): a transport that ends inside a
 *   record always destroys the stream with an `ERR_TLS_TRUNCATED` error. A transport that ends
 *   at a record boundary without the peer's close_notify ends the readable side, as Node's
 *   `tls` does, and sets {@link SspiTlsStream.truncated}; with `strictClose: true` it is the
 *   same `ERR_TLS_TRUNCATED` error.
 * - The read loop starts on the event-loop turn after `'secure'`, so listeners attached right
 *   after `await connectTls(…)` see every `'data'`, `'end'` and `'error'`.
 * - Backpressure: writes complete only when the transport accepted the records (`'drain'`, or
 *   the promise `send` returns); when the reader stops reading, the transport is paused (if it
 *   has `pause`/`resume`; message transports without them are buffered).
 *
 * @module
 */
import { Duplex } from "node:stream";
import { ByteQueue } from "./byte-queue.js";
import { joinBytes } from "./bytes.js";
import type { TlsContext } from "./tls-context.js";
import { TlsError } from "./tls-error.js";
import { type NegotiatedConnection, negotiatedConnectionOf } from "./tls-socket-compat.js";
import { duplexTransport, isDuplex, type MessageTransport } from "./transport.js";

/** Options of {@link SspiTlsStream}. */
export interface SspiTlsStreamOptions {
  /** A fresh context (not yet stepped); the stream owns it and closes it when destroyed. */
  context: TlsContext;
  /** The ciphertext transport. The stream ends or closes it when it finishes. */
  transport: MessageTransport | Duplex;
  /** Aborts the handshake: the stream is destroyed with an `AbortError`. */
  signal?: AbortSignal;
  /** Keep the writable side open after the peer's close_notify (default false). */
  allowHalfOpen?: boolean;
  /**
   * Treat a transport that ends at a record boundary without the peer's close_notify as an
   * error (`ERR_TLS_TRUNCATED`) instead of an end with `truncated` set (default false).
   */
  strictClose?: boolean;
  /** Bytes already read from the transport (a server that read the ClientHello first), processed first. */
  received?: Uint8Array;
}

/** True for the error a transport gives when its writable side is already closed. */
function isClosedTransport(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ECONNRESET" || code === "ERR_STREAM_DESTROYED";
}

/** The `ERR_TLS_TRUNCATED` error: the transport ended before the peer's close_notify. */
function truncationError(partialRecordBytes: number): Error {
  const where =
    partialRecordBytes > 0
      ? `inside a TLS record (${partialRecordBytes} bytes of an incomplete record received)`
      : "without the peer's TLS close_notify";
  return Object.assign(new Error(`the data was truncated: the transport ended ${where}`), {
    code: "ERR_TLS_TRUNCATED",
  });
}

/**
 * TLS over a transport as a `Duplex` of plaintext. Events: `'secure'` (handshake complete; see
 * `stream.context` for the protocol, suite, ALPN and peer certificate), `'session'` (client: a
 * resumable session arrived — TLS 1.2 at the handshake, TLS 1.3 with the server's tickets — with
 * the session `Buffer`, as Node's `TLSSocket`), `'error'` (an `SspiError`, an `AbortError`, or a
 * transport error), and the usual stream events.
 */
export class SspiTlsStream extends Duplex {
  /** The TLS context (established after `'secure'`). */
  readonly context: TlsContext;
  readonly #transport: MessageTransport;
  /** The socket under us, when the transport is one (for addresses and timeouts). */
  readonly #socket: Duplex | null;
  #negotiated: NegotiatedConnection | null = null;
  /** As `TLSSocket.encrypted`. */
  readonly encrypted = true;
  readonly #endsTransportOnFinal: boolean;
  readonly #inbox = new ByteQueue();
  readonly #ready: Promise<void>;
  readonly #strictClose: boolean;
  #secure = false;
  #truncated = false;
  /** The peer's close_notify arrived: it expects nothing more from us but ours. */
  #peerClosed = false;
  #paused = false;
  /** Client: sessions already announced with `'session'`. */
  #sessionsAnnounced = 0;
  #lock: Promise<unknown> = Promise.resolve();

  /** Starts the handshake over `options.transport`. */
  constructor(options: SspiTlsStreamOptions) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
    this.context = options.context;
    const duplex = isDuplex(options.transport);
    this.#transport = duplex
      ? duplexTransport(options.transport as Duplex)
      : (options.transport as MessageTransport);
    this.#endsTransportOnFinal = duplex;
    this.#socket = duplex ? (options.transport as Duplex) : null;
    this.#strictClose = options.strictClose ?? false;
    if (options.received !== undefined && options.received.byteLength > 0) this.#inbox.push(options.received);
    this.#transport.onMessage((bytes) => this.#inbox.push(bytes));
    this.#transport.onClose((error) => this.#inbox.end(error));
    this.#ready = this.#handshake(options.signal);
    this.#ready.catch(() => {});
  }

  /** True once the handshake completed. */
  get secure(): boolean {
    return this.#secure;
  }

  /**
   * True when the transport ended (or failed) without the peer's close_notify: the data
   * received may be cut short by an attacker (or a careless peer). Set before `'end'` (at a
   * record boundary, without `strictClose`), or before the `'error'` (`ERR_TLS_TRUNCATED`, or
   * the transport's own error such as `ECONNRESET`).
   */
  get truncated(): boolean {
    return this.#truncated;
  }

  // --- Node's TLSSocket accessors (the values of the completed handshake) ---

  /** The ALPN protocol agreed on, or `false` (as `TLSSocket.alpnProtocol`). */
  get alpnProtocol(): string | false {
    return this.#negotiated?.alpnProtocol ?? false;
  }

  /**
   * As `TLSSocket.authorized`: true once the handshake completed with the peer's certificate
   * valid — false with `manualValidation` (`rejectUnauthorized: false`) when it is not (see
   * {@link authorizationError}).
   */
  get authorized(): boolean {
    return this.#secure && this.#negotiated?.authorizationError === null;
  }

  /** As `TLSSocket.authorizationError`: OpenSSL's code (e.g. `"UNABLE_TO_VERIFY_LEAF_SIGNATURE"`), or null. */
  get authorizationError(): string | null {
    return this.#negotiated?.authorizationError ?? null;
  }

  /**
   * As `TLSSocket.getSession()`: the newest resumable session (a `Buffer`), to pass as
   * `session` to a later `connectTls` — in this process or another. See
   * `TlsContext.getSession` (undefined before a TLS 1.3 ticket arrived, on a server, and with
   * manual validation).
   */
  getSession(): Buffer | undefined {
    return this.context.getSession();
  }

  /** Client: emits `'session'` (as `TLSSocket` does) when new sessions arrived. */
  #announceSession(): void {
    if (this.context.role !== "client") return;
    const received = this.context.sessionsReceived;
    if (received === this.#sessionsAnnounced) return;
    this.#sessionsAnnounced = received;
    const session = this.context.getSession();
    if (session !== undefined) this.emit("session", session);
  }

  /** As `TLSSocket.isSessionReused()`: true when the handshake resumed a session. */
  isSessionReused(): boolean {
    return this.#negotiated?.resumed ?? false;
  }

  /** `"TLSv1.3"` / `"TLSv1.2"`, or null before the handshake (as `TLSSocket.getProtocol()`). */
  getProtocol(): string | null {
    return this.#negotiated?.protocol ?? null;
  }

  /** The cipher suite as `TLSSocket.getCipher()` gives it (`{ name, standardName, version }`). */
  getCipher(): { name: string; standardName: string; version: string } | undefined {
    return this.#negotiated?.cipher;
  }

  /** The peer's certificate as `TLSSocket.getPeerCertificate()` gives it (`{}` when there is none). */
  getPeerCertificate(detailed = false): ReturnType<NegotiatedConnection["legacyCertificate"]> {
    return (
      this.#negotiated?.legacyCertificate(detailed) ??
      ({} as ReturnType<NegotiatedConnection["legacyCertificate"]>)
    );
  }

  /** The `Duplex` (socket) the records travel over, or null for a message transport. */
  get transportSocket(): Duplex | null {
    return this.#socket;
  }

  /** The peer's address, when the transport is a socket. */
  get remoteAddress(): string | undefined {
    return (this.#socket as { remoteAddress?: string } | null)?.remoteAddress;
  }

  /** The peer's port, when the transport is a socket. */
  get remotePort(): number | undefined {
    return (this.#socket as { remotePort?: number } | null)?.remotePort;
  }

  /** Our address, when the transport is a socket. */
  get localAddress(): string | undefined {
    return (this.#socket as { localAddress?: string } | null)?.localAddress;
  }

  /** Our port, when the transport is a socket. */
  get localPort(): number | undefined {
    return (this.#socket as { localPort?: number } | null)?.localPort;
  }

  /** As `socket.setTimeout`: `'timeout'` is emitted on this stream after `ms` of inactivity on the socket. */
  setTimeout(ms: number, callback?: () => void): this {
    const socket = this.#socket as (Duplex & { setTimeout?: (ms: number) => void }) | null;
    if (socket?.setTimeout) {
      socket.setTimeout(ms);
      socket.removeAllListeners("timeout");
      if (ms > 0) socket.on("timeout", () => this.emit("timeout"));
    }
    if (callback) this.once("timeout", callback);
    return this;
  }

  /** As `socket.setNoDelay` (passed to the socket, if any). */
  setNoDelay(noDelay = true): this {
    (this.#socket as { setNoDelay?: (v: boolean) => void } | null)?.setNoDelay?.(noDelay);
    return this;
  }

  /** As `socket.setKeepAlive` (passed to the socket, if any). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    (this.#socket as { setKeepAlive?: (e: boolean, d: number) => void } | null)?.setKeepAlive?.(
      enable,
      initialDelay,
    );
    return this;
  }

  /** Runs `fn` (a context operation and the sends it starts) after the earlier ones. */
  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  /**
   * Runs `fn` after the earlier operations and hands the bytes it returns to the transport
   * before the next one runs (so records go out in the order they were sealed); resolves when
   * the transport accepted them.
   */
  async #exchange<T>(fn: () => Promise<{ value: T; send: Uint8Array }>): Promise<T> {
    const { value, sent } = await this.#serial(async () => {
      const r = await fn();
      return { value: r.value, sent: r.send.byteLength > 0 ? this.#transport.send(r.send) : undefined };
    });
    await sent;
    return value;
  }

  async #handshake(signal: AbortSignal | undefined): Promise<void> {
    try {
      const leftover = await this.context.handshake(
        { send: (bytes) => this.#transport.send(bytes), receive: () => this.#inbox.receive() },
        signal ? { signal } : {},
      );
      this.#secure = true;
      this.#negotiated = negotiatedConnectionOf(this.context);
      this.emit("secure");
      if (this.context.role === "client" && !this.destroyed) this.emit("secureConnect");
      setImmediate(() => {
        if (this.destroyed) return;
        // A TLS 1.2 session exists at the handshake: announced here, so listeners attached
        // right after `await connectTls(…)` see it.
        this.#announceSession();
        void this.#readLoop(leftover);
      });
    } catch (error) {
      this.destroy(error as Error);
      throw error;
    }
  }

  async #readLoop(leftover: Uint8Array): Promise<void> {
    // Received bytes wait in `pending` until they can complete a record (`wanted` bytes): a
    // record split over many small messages is decrypted once, not once per message.
    let pending: Uint8Array[] = [leftover];
    let size = leftover.byteLength;
    let wanted = 1;
    try {
      for (;;) {
        if (size >= wanted) {
          const buffer = joinBytes(pending);
          const r = await this.#exchange(async () => {
            const decrypted = await this.context.decrypt(buffer);
            return { value: decrypted, send: decrypted.toSend };
          });
          this.#announceSession();
          pending = [r.rest];
          size = r.rest.byteLength;
          wanted = size + Math.max(1, r.missing);
          if (r.plaintext.byteLength > 0 && !this.push(r.plaintext)) this.#pauseTransport();
          if (r.closed) {
            this.#peerClosed = true;
            this.push(null);
            return;
          }
        }
        const more = await this.#inbox.receive().catch((error: unknown) => {
          this.#truncated = true; // the transport failed (ECONNRESET, …) before the peer's close_notify
          throw error;
        });
        if (more === null) return this.#transportEnded(size);
        pending.push(more);
        size += more.byteLength;
      }
    } catch (error) {
      await this.#failWith(error);
    }
  }

  /** The transport ended before the peer's close_notify, with `partial` bytes of a record pending. */
  #transportEnded(partial: number): void {
    this.#truncated = true;
    if (partial > 0 || this.#strictClose) this.destroy(truncationError(partial));
    else this.push(null);
  }

  /** Sends a TlsError's alert, delivers its plaintext, then destroys the stream with it. */
  async #failWith(error: unknown): Promise<void> {
    if (error instanceof TlsError) {
      if (error.plaintext.byteLength > 0) this.push(error.plaintext);
      if (error.output.byteLength > 0) {
        try {
          await this.#transport.send(error.output);
        } catch {
          // the transport is gone too; the error below is the one that matters
        }
      }
    }
    this.destroy(error as Error);
  }

  #pauseTransport(): void {
    if (this.#paused || !this.#transport.pause) return;
    this.#paused = true;
    this.#transport.pause();
  }

  override _read(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#transport.resume?.();
  }

  #encryptAndSend(plaintext: Uint8Array, callback: (error?: Error | null) => void): void {
    this.#ready
      .then(() => this.#exchange(async () => ({ value: undefined, send: this.context.encrypt(plaintext) })))
      .then(
        () => callback(),
        (error: Error) => {
          if (!this.#secure) return callback(error);
          void this.#failWith(error);
          callback(error);
        },
      );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#encryptAndSend(chunk, callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.#encryptAndSend(joinBytes(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#ready
      .then(() =>
        this.#exchange(async () => {
          const closeNotify = await this.context.shutdown();
          return { value: undefined, send: closeNotify };
        }),
      )
      .then(() => {
        if (this.#endsTransportOnFinal) this.#transport.close?.();
      })
      .then(
        () => callback(),
        // A transport that already ended may refuse our close_notify (a socket without
        // allowHalfOpen ends its writable side with its readable side): not an error of ours;
        // the read loop reports what the end means (close_notify received, or truncation).
        // Likewise a peer that sent its close_notify and closed at once (no half-close).
        (error: Error) =>
          callback((this.#inbox.ended || this.#peerClosed) && isClosedTransport(error) ? null : error),
      );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inbox.end();
    // After a TLS failure the alert is queued on the transport: end it gracefully so it is delivered.
    this.#transport.close?.(error === null || error instanceof TlsError ? undefined : error);
    this.context.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
