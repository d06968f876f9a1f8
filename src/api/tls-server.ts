/**
 * `createTlsServer(options, listener)`: a TLS server shaped like Node's `tls.Server` (it *is* a
 * `net.Server`, so `listen`, `address`, `maxConnections`, `getConnections`, `ref`/`unref` and
 * the `'listening'`/`'close'`/`'error'`/`'drop'` events are Node's own).
 *
 * ```ts
 * const server = createTlsServer({ cert, key }, (stream) => stream.pipe(stream));
 * server.on("tlsClientError", (error) => console.warn(error.code, error.message));
 * server.listen(8443, "127.0.0.1");
 * // HTTP (or Express) through it:
 * const app = http.createServer(handler);
 * createTlsServer({ cert, key, ALPNProtocols: ["http/1.1"] }, (s) => app.emit("connection", s)).listen(8443);
 * ```
 *
 * - `'secureConnection'` `(stream: SspiTlsStream)`: a handshake completed. The stream has an
 *   `'error'` listener already (as Node's server sockets do), so a client that resets the
 *   connection never crashes the process; add yours to see such errors.
 * - `'tlsClientError'` `(error, socket)`: a connection that failed before its handshake
 *   completed — a plain-HTTP probe (`ERR_SSL_HTTP_REQUEST`), an aborted handshake
 *   (`ECONNRESET`), a bad certificate, a timeout (`ERR_TLS_HANDSHAKE_TIMEOUT`). It never reaches
 *   the listener; the socket is destroyed after the alert was sent.
 * - `handshakeTimeout` (ms, default 120000 as Node's): a handshake that takes longer fails.
 * - `close(callback)`: stops accepting, sends close_notify on every established connection
 *   (`drain` decides how) and abandons handshakes in progress; the callback runs once every
 *   connection closed.
 *   `closeAllConnections()` destroys whatever is still open (a drain deadline).
 *
 * @module
 */
import { Server, type Socket } from "node:net";
import { AbortError } from "./abort.js";
import { acceptTls, STREAM_OPTION_NAMES, type TlsStreamOptions } from "./connect.js";
import type { TlsCredentialsOptions } from "./credential-options.js";
import { acquireTlsCredentials, type TlsCredentials } from "./credentials.js";
import { CREDENTIAL_NAMES, fromNodeOptions } from "./node-options.js";
import type { TicketKeyProvider } from "./ticket-keys/ticket-key-provider.js";
import type { SspiTlsStream } from "./tls-stream.js";

/** Options of {@link createTlsServer}: the stream options (credentials or credential options) plus the server's. */
export type TlsServerOptions = Omit<
  TlsStreamOptions,
  "credentials" | "signal" | "checkServerIdentity" | "serverName"
> & {
  /** Server credentials, or a promise of them (the server listens while they are acquired). */
  credentials?: TlsCredentials | Promise<TlsCredentials>;
  /** Milliseconds a client has to complete its handshake (default 120000, as Node's). */
  handshakeTimeout?: number;
  /**
   * How `close()` winds down an established connection (default: `stream.end()`, close_notify
   * at once). A server that must finish a request first ends the stream itself, later.
   */
  drain?: (stream: SspiTlsStream) => void;
  /**
   * Session ticket keys kept up to date by a provider (e.g. `redisTicketKeys`, shared by a fleet
   * of servers): attached to the server's credentials, detached when the server closes.
   */
  ticketKeyProvider?: TicketKeyProvider;
};

/** The error of a handshake that took longer than `handshakeTimeout` (Node's code). */
function handshakeTimeoutError(ms: number): Error {
  return Object.assign(new Error(`TLS handshake timeout: not completed within ${ms} ms`), {
    code: "ERR_TLS_HANDSHAKE_TIMEOUT",
  });
}

/** The credential options among a server's options. */
function credentialOptionsOf(options: object): Omit<TlsCredentialsOptions, "role"> {
  const names: readonly string[] = CREDENTIAL_NAMES;
  return Object.fromEntries(Object.entries(options).filter(([name]) => names.includes(name)));
}

/** A TLS server over `net.Server`; see the module documentation. */
export class TlsServer extends Server {
  readonly #credentials: Promise<TlsCredentials>;
  readonly #ownsCredentials: boolean;
  readonly #options: TlsServerOptions;
  readonly #handshakeTimeout: number;
  readonly #drain: (stream: SspiTlsStream) => void;
  readonly #handshaking = new Map<Socket, AbortController>();
  readonly #established = new Set<SspiTlsStream>();
  #closing = false;

  constructor(options: TlsServerOptions, listener?: (stream: SspiTlsStream) => void) {
    super({ allowHalfOpen: true, noDelay: true });
    const normalized = fromNodeOptions(
      options,
      [...STREAM_OPTION_NAMES, "handshakeTimeout", "drain", "ticketKeyProvider"],
      "createTlsServer",
      "server",
    );
    const {
      credentials,
      handshakeTimeout = 120_000,
      drain = (stream) => stream.end(),
      ticketKeyProvider,
      ...rest
    } = normalized;
    if (!Number.isFinite(handshakeTimeout) || handshakeTimeout <= 0)
      throw new TypeError(
        `createTlsServer: options.handshakeTimeout must be a positive number of milliseconds`,
      );
    this.#options = rest;
    this.#handshakeTimeout = handshakeTimeout;
    this.#drain = drain;
    this.#ownsCredentials = credentials === undefined;
    const acquired = Promise.resolve(
      credentials ?? acquireTlsCredentials({ ...credentialOptionsOf(rest), role: "server" }),
    );
    // The provider's keys are in place before the first handshake; detached when the server closes.
    this.#credentials = ticketKeyProvider
      ? acquired.then((c) => {
          const detach = ticketKeyProvider.attach(c);
          this.once("close", detach);
          return c;
        })
      : acquired;
    // Bad credential options: the server reports them as Node reports a listen failure.
    this.#credentials.catch((error: unknown) => {
      this.emit("error", error);
      if (this.listening) this.close();
    });
    if (listener) this.on("secureConnection", listener);
    this.on("connection", (socket: Socket) => this.#accept(socket));
    this.on("close", () => {
      if (this.#ownsCredentials) this.#credentials.then((c) => c.close()).catch(() => {});
    });
  }

  /** Connections whose handshake is in progress, and established ones. */
  get openConnections(): number {
    return this.#handshaking.size + this.#established.size;
  }

  async #accept(socket: Socket): Promise<void> {
    socket.on("error", () => {}); // reported through the stream or 'tlsClientError'
    if (this.#closing) return void socket.destroy();
    const abort = new AbortController();
    this.#handshaking.set(socket, abort);
    const timer = setTimeout(
      () => abort.abort(handshakeTimeoutError(this.#handshakeTimeout)),
      this.#handshakeTimeout,
    );
    let stream: SspiTlsStream;
    try {
      const credentials = await this.#credentials;
      stream = await acceptTls(socket, { ...this.#options, credentials, signal: abort.signal });
    } catch (error) {
      const reason = abort.signal.aborted && error instanceof AbortError ? abort.signal.reason : error;
      // The stream ended the socket after queueing the alert (if any): let it go out, then drop.
      if (!socket.destroyed) setTimeout(() => socket.destroy(), 1000).unref();
      this.emit("tlsClientError", reason, socket);
      return;
    } finally {
      clearTimeout(timer);
      this.#handshaking.delete(socket);
    }
    // As Node's server sockets: errors after the handshake never crash the server.
    stream.on("error", () => {});
    this.#established.add(stream);
    stream.once("close", () => this.#established.delete(stream));
    this.emit("secureConnection", stream);
    if (this.#closing) this.#drain(stream);
  }

  /**
   * Stops accepting, sends close_notify on every established connection and abandons the
   * handshakes in progress; `callback` runs when every connection closed (Node's `'close'`).
   */
  override close(callback?: (error?: Error) => void): this {
    this.#closing = true;
    super.close(callback);
    for (const abort of this.#handshaking.values()) abort.abort(new Error("the server is closing"));
    for (const stream of this.#established) this.#drain(stream);
    return this;
  }

  /** Destroys every connection still open (after `close()`, when the drain took too long). */
  closeAllConnections(): void {
    for (const abort of this.#handshaking.values()) abort.abort(new Error("the server is closing"));
    for (const stream of this.#established) stream.destroy();
  }
}

/**
 * Creates a TLS server, as `tls.createServer`: `listener` is added for `'secureConnection'`.
 *
 * @throws {TypeError} for an invalid `handshakeTimeout`. Credential failures (no certificate,
 *   a key that does not match) are emitted as the server's `'error'` (an `SspiError`).
 */
export function createTlsServer(
  options: TlsServerOptions,
  listener?: (stream: SspiTlsStream) => void,
): TlsServer {
  return new TlsServer(options, listener);
}
