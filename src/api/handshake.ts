/**
 * The handshake loop (sspi.md §4.5) over any byte transport: step, send the output, keep the
 * unconsumed input, receive more, until done — sending a failure's alert before rethrowing.
 *
 * @module
 */
import { SEC_E_INCOMPLETE_MESSAGE, SEC_I_CONTINUE_NEEDED } from "../sspi/status.js";
import { raceAbort } from "./abort.js";
import { concatBytes, EMPTY } from "./bytes.js";
import type { OperationOptions, TlsContext } from "./tls-context.js";
import { TlsError, usageError } from "./tls-error.js";

/** How the handshake loop talks to the peer. */
export interface HandshakeIo {
  /** Sends bytes to the peer (may wait for the transport). */
  send(bytes: Uint8Array): void | Promise<void>;
  /** Resolves with the next bytes received (any chunking), or null when the transport ended. */
  receive(): Promise<Uint8Array | null>;
}

/**
 * Runs `context`'s handshake over `io`.
 *
 * @returns the bytes received after the handshake completed (records for `decrypt()`).
 * @throws {TlsError} the failed step's error, after its `output` (the alert) was sent.
 * @throws {SspiError} `SEC_E_INCOMPLETE_MESSAGE` when `io.receive()` ends first (the context is closed).
 * @throws {AbortError} when `options.signal` aborts (the context is deleted).
 */
export async function runHandshake(
  context: TlsContext,
  io: HandshakeIo,
  options: OperationOptions = {},
): Promise<Uint8Array> {
  const { signal } = options;
  let pending: Uint8Array = EMPTY;
  let needInput = context.role === "server";
  for (;;) {
    if (needInput) {
      const received = await raceAbort(io.receive(), signal, () => void context.close(), "The TLS handshake");
      if (received === null) {
        await context.close();
        throw usageError(
          context.role === "client" ? "InitializeSecurityContext" : "AcceptSecurityContext",
          SEC_E_INCOMPLETE_MESSAGE,
          "the transport ended before the handshake completed",
        );
      }
      pending = concatBytes(pending, received);
    }
    let step: Awaited<ReturnType<TlsContext["step"]>>;
    try {
      step = await context.step(pending, signal ? { signal } : {});
    } catch (error) {
      if (error instanceof TlsError && error.output.byteLength > 0) await io.send(error.output);
      throw error;
    }
    if (step.output.byteLength > 0) await io.send(step.output);
    pending = step.extra;
    if (step.done) return pending;
    // CONTINUE with unconsumed input: process it before waiting for the peer.
    needInput = !(step.status === SEC_I_CONTINUE_NEEDED && pending.byteLength > 0);
  }
}
