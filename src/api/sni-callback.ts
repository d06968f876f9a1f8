/**
 * `SNICallback` (Node's option name) for `createTlsServer`/`acceptTls`: the server reads the
 * client's ClientHello first (`parseClientHello`, before any engine sees it), asks the callback
 * for the credentials of the name the client sent, then starts `AcceptSecurityContext` with them
 * — the callback never runs on a native thread and the handshake never waits inside OpenSSL.
 *
 * ```ts
 * const example = await acquireTlsCredentials({ role: "server", cert, key });
 * createTlsServer({ cert: defaultCert, key: defaultKey, SNICallback: (name, cb) =>
 *   name === "example.test" ? cb(null, example) : cb(null, undefined) }, listener);
 * ```
 *
 * - `cb(null, credentials)`: server {@link TlsCredentials} (acquire them once and reuse them), or
 *   an options object as `tls.createSecureContext` takes (`{ cert, key, ca, pfx, passphrase, … }`),
 *   acquired for this one connection and freed with it. `cb(null)` / `cb(null, undefined)`: the
 *   server's own credentials. A Node `SecureContext` cannot be used (its keys are out of reach).
 * - `cb(error)`, a throw, or something that is not credentials: the client gets a fatal
 *   `unrecognized_name` alert, and the error is the server's `'tlsClientError'` (acceptTls
 *   rejects with it).
 * - No SNI (or a first flight that is not a ClientHello): the server's own credentials, without
 *   calling the callback.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { type ClientHelloInfo, parseClientHello } from "../schannel/records/client-hello.js";
import { acquireTlsCredentials, TlsCredentials } from "./credentials.js";
import { CREDENTIAL_NAMES, fromNodeOptions, type NodeTlsOptions } from "./node-options.js";
import { isDuplex, type MessageTransport } from "./transport.js";

/** What an `SNICallback` may hand back: server credentials, or the options to acquire them from. */
export type SniCredentials = TlsCredentials | (NodeTlsOptions & Record<string, unknown>);

/** Node's `SNICallback(servername, callback)`. */
export type SniCallback = (
  servername: string,
  callback: (error: Error | null, credentials?: SniCredentials) => void,
) => void;

/** A fatal `unrecognized_name` (112) alert in a plaintext TLS 1.2-versioned record. */
const UNRECOGNIZED_NAME_ALERT = Uint8Array.of(21, 3, 3, 0, 2, 2, 112);

/** What the server read before choosing its credentials. */
export interface PeekedHello {
  /** The transport to hand to the stream (a message transport is relayed). */
  transport: MessageTransport | Duplex;
  /** Bytes already read: the stream processes them before anything else from the transport. */
  received: Uint8Array;
  /** The ClientHello, or null when the first flight is not one (or the transport ended). */
  hello: ClientHelloInfo | null;
}

/**
 * Reads the transport until a whole ClientHello arrived (or what arrived cannot be one, or the
 * transport ended). A `Duplex` is left paused with its listener removed: resume it once the
 * stream listens.
 */
export function peekClientHello(transport: MessageTransport | Duplex): Promise<PeekedHello> {
  return isDuplex(transport) ? peekDuplex(transport) : peekMessages(transport);
}

function verdict(chunks: Uint8Array[]): {
  done: boolean;
  hello: ClientHelloInfo | null;
  received: Uint8Array;
} {
  const received = Buffer.concat(chunks);
  const parsed = parseClientHello(received);
  if ("error" in parsed) return { done: !parsed.incomplete, hello: null, received };
  return { done: true, hello: parsed, received };
}

function peekDuplex(duplex: Duplex): Promise<PeekedHello> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    const finish = (hello: ClientHelloInfo | null, received: Uint8Array) => {
      duplex.pause();
      duplex.off("data", onData);
      duplex.off("end", onEnd);
      duplex.off("close", onEnd);
      duplex.off("error", onEnd);
      resolve({ transport: duplex, received, hello });
    };
    const onData = (chunk: Buffer | string) => {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      const v = verdict(chunks);
      if (v.done) finish(v.hello, v.received);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks));
    duplex.on("data", onData);
    duplex.on("end", onEnd);
    duplex.on("close", onEnd);
    duplex.on("error", onEnd);
    if (duplex.destroyed || duplex.readableEnded) onEnd();
  });
}

function peekMessages(inner: MessageTransport): Promise<PeekedHello> {
  /** The stream's receiver, once it listens; until then messages wait in `early`. */
  let sink: ((bytes: Uint8Array) => void) | null = null;
  let closeSink: ((error?: Error) => void) | null = null;
  let closed: { error?: Error | undefined } | null = null;
  const early: Uint8Array[] = [];
  let peeking: (() => void) | null = null;
  inner.onMessage((bytes) => {
    if (sink !== null) return sink(bytes);
    early.push(bytes);
    peeking?.();
  });
  inner.onClose((error) => {
    closed = { error };
    if (closeSink !== null) closeSink(error);
    else peeking?.();
  });
  const relay: MessageTransport = {
    send: (bytes) => inner.send(bytes),
    onMessage(callback) {
      sink = callback;
      for (const bytes of early.splice(0)) callback(bytes);
    },
    onClose(callback) {
      const ended = closed;
      if (ended !== null) queueMicrotask(() => callback(ended.error));
      else closeSink = callback;
    },
    close: (error) => inner.close?.(error),
    pause: () => inner.pause?.(),
    resume: () => inner.resume?.(),
  };
  return new Promise((resolve) => {
    const check = () => {
      const v = verdict(early);
      if (!v.done && closed === null) return;
      peeking = null;
      early.length = 0;
      resolve({ transport: relay, received: v.received, hello: v.hello });
    };
    peeking = check;
    check();
  });
}

/**
 * Asks `callback` for the credentials of `servername`.
 *
 * @returns the credentials to use (`owned`: acquired here, to free with the connection), or null
 *   for the server's own.
 * @throws the callback's error; a `TypeError` for something that is not server credentials.
 */
export async function credentialsForName(
  callback: SniCallback,
  servername: string,
): Promise<{ credentials: TlsCredentials; owned: boolean } | null> {
  const chosen = await new Promise<SniCredentials | undefined>((resolve, reject) => {
    let answered = false;
    try {
      callback(servername, (error, credentials) => {
        if (answered) return;
        answered = true;
        if (error !== null && error !== undefined)
          reject(error instanceof Error ? error : new Error(`SNICallback failed: ${String(error)}`));
        else resolve(credentials);
      });
    } catch (error) {
      answered = true;
      reject(error instanceof Error ? error : new Error(`SNICallback threw: ${String(error)}`));
    }
  });
  if (chosen === undefined || chosen === null) return null;
  if (chosen instanceof TlsCredentials) {
    if (chosen.role !== "server")
      throw new TypeError(
        "SNICallback: the credentials given are client credentials; a server needs server credentials",
      );
    return { credentials: chosen, owned: false };
  }
  if (typeof chosen !== "object" || typeof (chosen as { context?: unknown }).context === "object")
    throw new TypeError(
      "SNICallback: give server credentials (acquireTlsCredentials) or an options object ({ cert, key, … }); a Node SecureContext cannot be used",
    );
  const options = fromNodeOptions(chosen, CREDENTIAL_NAMES, "SNICallback", "server");
  return { credentials: await acquireTlsCredentials({ ...options, role: "server" }), owned: true };
}

/** Sends the fatal `unrecognized_name` alert and closes the transport (errors ignored: it may be gone). */
export async function refuseName(transport: MessageTransport | Duplex): Promise<void> {
  try {
    if (isDuplex(transport)) {
      if (!transport.destroyed && !transport.writableEnded) transport.end(UNRECOGNIZED_NAME_ALERT);
      transport.resume();
    } else {
      await transport.send(UNRECOGNIZED_NAME_ALERT);
      transport.close?.();
    }
  } catch {
    // the peer is gone: nothing to tell it
  }
}
