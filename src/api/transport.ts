/**
 * Transports TLS records travel over: a message transport (WebSocket-like: `send`, `onMessage`,
 * `onClose`), or any Node `Duplex` of ciphertext (a TCP socket), adapted to the same shape.
 *
 * @module
 */
import { Duplex } from "node:stream";

/**
 * A message transport carrying TLS records. Messages may split or join records arbitrarily.
 *
 * ```ts
 * const transport: MessageTransport = {
 *   send: (bytes) => ws.send(bytes),
 *   onMessage: (cb) => ws.on("message", (data: Buffer) => cb(data)),
 *   onClose: (cb) => ws.on("close", () => cb()),
 *   close: () => ws.close(),
 * };
 * ```
 */
export interface MessageTransport {
  /** Sends bytes; a returned promise is awaited before the next send (backpressure). */
  send(bytes: Uint8Array): void | Promise<void>;
  /** Registers the receiver of incoming bytes (called once). */
  onMessage(callback: (bytes: Uint8Array) => void): void;
  /** Registers the callback for the end of the transport, with an error if it failed (called once). */
  onClose(callback: (error?: Error) => void): void;
  /** Optional: closes the transport (after close_notify, or on error). */
  close?(error?: Error): void;
  /** Optional: stop delivering messages until {@link resume} (read backpressure). */
  pause?(): void;
  /** Optional: resume delivering messages. */
  resume?(): void;
}

/** True when `value` is a Node `Duplex` (rather than a {@link MessageTransport}). */
export function isDuplex(value: unknown): value is Duplex {
  return value instanceof Duplex;
}

/**
 * Adapts a `Duplex` of ciphertext (a socket) to a {@link MessageTransport}: `send` writes and
 * waits for `'drain'` when the socket's buffer is full (and throws the socket's own error once
 * it failed, an `EPIPE` error once its writable side is closed); `'data'` delivers messages;
 * `'end'`, `'close'` and `'error'` end it (also when they happened before the adapter was
 * made); `close()` ends the writable side (or destroys with an error); `pause`/`resume` map to
 * the socket's.
 *
 * The socket is made half-open (`allowHalfOpen = true`), as Node's `tls` does with the sockets
 * it wraps: the TLS layer, not the socket, decides when our side ends (after close_notify), so
 * a peer's FIN does not make our close_notify or last records fail with `EPIPE`.
 */
export function duplexTransport(duplex: Duplex): MessageTransport {
  duplex.allowHalfOpen = true;
  return {
    send(bytes) {
      if (duplex.destroyed || duplex.writableEnded) {
        // A transport that failed (ECONNREFUSED, ECONNRESET) says why, rather than EPIPE.
        const cause = duplex.errored;
        if (cause) throw cause;
        throw Object.assign(new Error("the transport's writable side is closed; the bytes were not sent"), {
          code: "EPIPE",
        });
      }
      if (duplex.write(bytes)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          duplex.off("drain", done);
          duplex.off("close", done);
          resolve();
        };
        duplex.on("drain", done);
        duplex.on("close", done);
      });
    },
    onMessage(callback) {
      duplex.on("data", (chunk: Buffer | string) =>
        callback(typeof chunk === "string" ? Buffer.from(chunk) : chunk),
      );
    },
    onClose(callback) {
      let called = false;
      const once = (error?: Error) => {
        if (called) return;
        called = true;
        callback(error);
      };
      duplex.on("end", () => once());
      duplex.on("close", () => once());
      duplex.on("error", (error: Error) => once(error));
      // Ended or failed before we listened (a refused connection while credentials were acquired).
      if (duplex.destroyed || duplex.readableEnded)
        queueMicrotask(() => once((duplex.errored as Error | null) ?? undefined));
    },
    close(error) {
      if (error) duplex.destroy();
      else if (!duplex.writableEnded) duplex.end();
    },
    pause() {
      duplex.pause();
    },
    resume() {
      duplex.resume();
    },
  };
}
