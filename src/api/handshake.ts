/**
 * The handshake loop (the ISC/ASC loop of Microsoft's Schannel documentation) over any byte transport: step, send the output, keep the
 * unconsumed input, receive more, until done — sending a failure's alert before rethrowing.
 *
 * @module
 */
import { SspiError } from "../sspi/sspi-error.js";
import { SEC_E_ILLEGAL_MESSAGE, SEC_E_INCOMPLETE_MESSAGE, SEC_I_CONTINUE_NEEDED } from "../sspi/status.js";
import { raceAbort } from "./abort.js";
import { concatBytes, EMPTY } from "./bytes.js";
import type { OperationOptions, TlsContext } from "./tls-context.js";
import { TlsError } from "./tls-error.js";

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
        throw endedEarly(context, pending);
      }
      pending = concatBytes(pending, received);
    }
    let step: Awaited<ReturnType<TlsContext["step"]>>;
    try {
      step = await context.step(pending, signal ? { signal } : {});
    } catch (error) {
      if (error instanceof TlsError && error.output.byteLength > 0) await sendAlert(io, error.output);
      throw error instanceof TlsError ? explainNonTls(context, error, pending) : error;
    }
    if (step.output.byteLength > 0) await io.send(step.output);
    pending = step.extra;
    if (step.done) return pending;
    // CONTINUE with unconsumed input: process it before waiting for the peer.
    needInput = !(step.status === SEC_I_CONTINUE_NEEDED && pending.byteLength > 0);
  }
}

function operationOf(context: TlsContext): string {
  return context.role === "client" ? "InitializeSecurityContext" : "AcceptSecurityContext";
}

/** Sends a failure's alert; a transport that is already gone does not hide the failure. */
async function sendAlert(io: HandshakeIo, alert: Uint8Array): Promise<void> {
  try {
    await io.send(alert);
  } catch {
    // the peer left: the handshake's own error is the one to report
  }
}

/**
 * The transport ended before the handshake completed: `SEC_E_INCOMPLETE_MESSAGE` with Node's
 * code (`ECONNRESET`, "socket disconnected before secure TLS connection was established"), or,
 * when what the peer sent was not TLS, the error saying so.
 */
function endedEarly(context: TlsContext, received: Uint8Array): TlsError {
  const notTls = nonTlsDescription(context, received);
  if (notTls !== null)
    return new TlsError(
      SspiError.from(operationOf(context), SEC_E_ILLEGAL_MESSAGE, { reason: notTls.reason }),
      EMPTY,
      EMPTY,
      notTls.code,
    );
  const error = SspiError.from(operationOf(context), SEC_E_INCOMPLETE_MESSAGE, {
    reason: `the peer closed the connection before the TLS handshake completed (${received.byteLength} bytes received)`,
  });
  return new TlsError(error, EMPTY, EMPTY, "ECONNRESET");
}

/** A step's failure on input that is not TLS at all becomes an error that says so. */
function explainNonTls(context: TlsContext, error: TlsError, received: Uint8Array): TlsError {
  const notTls = nonTlsDescription(context, received);
  if (notTls === null || error.status !== SEC_E_ILLEGAL_MESSAGE || error.alertReceived !== null) return error;
  const explained = SspiError.from(error.operation, error.status, {
    reason: notTls.reason,
    ...(error.alertSent !== null && { alertSent: error.alertSent.description }),
  });
  return new TlsError(explained, error.output, error.plaintext, notTls.code);
}

const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PRI) /;

/**
 * When `received` cannot be the start of a TLS record (content types 20-24, version 3.x), what
 * the peer is instead: Node's codes `ERR_SSL_HTTP_REQUEST` (a server receiving HTTP) or
 * `ERR_SSL_WRONG_VERSION_NUMBER`, with the first bytes shown as text.
 */
function nonTlsDescription(
  context: TlsContext,
  received: Uint8Array,
): { reason: string; code: string } | null {
  if (received.byteLength === 0) return null;
  const type = received[0]!;
  const looksTls = type >= 20 && type <= 24 && (received.byteLength < 2 || received[1] === 3);
  if (looksTls) return null;
  const text = Buffer.from(received.subarray(0, 32)).toString("latin1");
  const shown = JSON.stringify(text.replace(/[^\x20-\x7e]/g, "."));
  const http = HTTP_METHOD.test(text);
  const reason =
    context.role === "server" && http
      ? `the client does not speak TLS: it sent a plain HTTP request (${shown}); use https://`
      : `the peer does not speak TLS: it sent ${shown}`;
  return {
    reason,
    code: context.role === "server" && http ? "ERR_SSL_HTTP_REQUEST" : "ERR_SSL_WRONG_VERSION_NUMBER",
  };
}
