/**
 * `connectTls` / `acceptTls`: a TLS client or server stream in one call, resolving once the
 * handshake completed.
 *
 * ```ts
 * // Opens the socket itself, like tls.connect: host is the server name.
 * const tls = await connectTls({ host: "example.test", port: 443, alpn: ["http/1.1"] });
 * // Over a socket or transport you opened: say which name the certificate must match.
 * const other = await connectTls(net.connect(443, "192.0.2.1"), { serverName: "example.test" });
 * tls.write("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
 * ```
 *
 * The server-name rules (secure by default) are in `server-identity.ts`.
 *
 * @module
 */
import { once } from "node:events";
import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { sessionBlobError } from "../schannel/native/session-blob.js";
import { raceAbort } from "./abort.js";
import type { TlsCredentialsOptions } from "./credential-options.js";
import { acquireTlsCredentials, type TlsCredentials } from "./credentials.js";
import {
  CONTEXT_NAMES,
  CREDENTIAL_NAMES,
  fromNodeOptions,
  type NodeTlsOptions,
  STREAM_NAMES,
} from "./node-options.js";
import {
  type CheckServerIdentity,
  runIdentityCheck,
  type ServerIdentity,
  serverIdentityOf,
} from "./server-identity.js";
import { credentialsForName, peekClientHello, refuseName, type SniCallback } from "./sni-callback.js";
import { TlsContext, type TlsContextOptions } from "./tls-context.js";
import { SspiTlsStream } from "./tls-stream.js";
import { isDuplex, type MessageTransport } from "./transport.js";

/**
 * Options of {@link connectTls}/{@link acceptTls}: either `credentials` acquired beforehand
 * (shared by many connections, not closed by the stream) or the credential options (minus
 * `role`), from which credentials are acquired for this one connection and freed when the
 * stream closes; plus the context options and the stream's `signal`/`allowHalfOpen`/`strictClose`.
 */
export type TlsStreamOptions = Omit<TlsCredentialsOptions, "role"> &
  Omit<TlsContextOptions, "alpn"> &
  NodeTlsOptions & {
    /** Credentials to use (their role must match); when given, the credential options are ignored. */
    credentials?: TlsCredentials;
    /** Aborts the handshake (the promise rejects with an `AbortError`). */
    signal?: AbortSignal;
    /** Keep the writable side open after the peer's close_notify (default false). */
    allowHalfOpen?: boolean;
    /** An end without the peer's close_notify is an `ERR_TLS_TRUNCATED` error (see `SspiTlsStream.truncated`). */
    strictClose?: boolean;
    /**
     * Client: Node's escape hatch, `(hostname, certificate) => Error | undefined`, run once the
     * handshake completed; an `Error` fails the connection. Required over a socket or transport
     * when there is no `serverName` (`() => undefined` opts out of the name check explicitly).
     */
    checkServerIdentity?: CheckServerIdentity;
    /**
     * Server: Node's `SNICallback(servername, cb)`, called with the name the client sent (SNI)
     * before the handshake starts; `cb(null, credentials)` serves the connection with other
     * credentials. See `sni-callback.ts` for what `credentials` may be and how errors end.
     */
    SNICallback?: SniCallback;
  };

/** Options of the form of {@link connectTls} that opens the TCP connection itself. */
export type TlsConnectOptions = TlsStreamOptions & {
  /** The server's host name or IP address (default `"localhost"`); also the server name unless `serverName` is given. */
  host?: string;
  /** The server's TCP port. */
  port: number;
};

async function open(
  role: "client" | "server",
  transport: MessageTransport | Duplex,
  options: TlsStreamOptions,
  identity: ServerIdentity | null,
): Promise<SspiTlsStream> {
  const {
    credentials: given,
    signal,
    allowHalfOpen,
    strictClose,
    serverName: _serverName,
    checkServerIdentity: _check,
    requestClientCertificate,
    session,
    SNICallback,
    ...rest
  } = options;
  // Listen at once: a socket that fails while the credentials are acquired must not emit an
  // 'error' nobody listens to (the stream reports it, with the socket's own code).
  const ignore = () => {};
  if (isDuplex(transport)) transport.on("error", ignore);
  const owned: TlsCredentials[] = [];
  const release = () => Promise.all(owned.map((c) => c.close())).then(() => undefined);
  const fail = async (error: unknown): Promise<never> => {
    await release();
    if (isDuplex(transport)) transport.destroy();
    throw error;
  };
  let credentials: TlsCredentials;
  let received: Uint8Array | undefined;
  try {
    credentials = given ?? (await acquireTlsCredentials({ ...rest, role }));
    if (!given) owned.push(credentials);
  } catch (error) {
    return fail(error);
  }
  if (role === "server" && SNICallback !== undefined) {
    const peeked = await raceAbort(peekClientHello(transport), signal, () => {
      if (isDuplex(transport)) transport.destroy();
      else transport.close?.();
    }).catch(fail);
    transport = peeked.transport;
    received = peeked.received;
    const name = peeked.hello?.serverName;
    if (name !== undefined) {
      try {
        const chosen = await raceAbort(
          credentialsForName(SNICallback, name),
          signal,
          () => {},
          "SNICallback",
        );
        if (chosen !== null) {
          credentials = chosen.credentials;
          if (chosen.owned) owned.push(chosen.credentials);
        }
      } catch (error) {
        await refuseName(transport);
        await release();
        throw error;
      }
    }
  }
  let context: TlsContext;
  try {
    context = new TlsContext(credentials, {
      ...(identity !== null && { serverName: identity.serverName }),
      ...(rest.alpn !== undefined && { alpn: typeof rest.alpn === "string" ? [rest.alpn] : rest.alpn }),
      ...(requestClientCertificate !== undefined && { requestClientCertificate }),
      ...(session !== undefined && { session }),
    });
  } catch (error) {
    return fail(error);
  }
  const stream = new SspiTlsStream({
    context,
    transport,
    ...(signal && { signal }),
    ...(allowHalfOpen !== undefined && { allowHalfOpen }),
    ...(strictClose !== undefined && { strictClose }),
    ...(received !== undefined && { received }),
  });
  if (isDuplex(transport)) {
    transport.off("error", ignore);
    if (received !== undefined) transport.resume(); // paused while the ClientHello was read
  }
  if (owned.length > 0) stream.once("close", () => void release());
  // `once` rejects on 'error', with the SspiError (or AbortError) that destroyed the stream.
  await once(stream, "secure");
  const rejected = identity === null ? null : runIdentityCheck(identity, stream);
  if (rejected !== null) {
    stream.destroy(); // no 'error' event nobody listens to: the promise carries the error
    throw rejected;
  }
  return stream;
}

/**
 * Opens a TLS client: over a TCP connection it opens itself (`connectTls({ host, port, … })`,
 * like `tls.connect`), or over a socket or transport the caller opened
 * (`connectTls(transport, options)`).
 *
 * The server's certificate is always validated; which name it must match (secure by default):
 * - `{ host, port }` form: `serverName`, else `host` (default `"localhost"`). An IP address is
 *   matched against the certificate's IP address SANs (and is not sent as SNI).
 * - transport form: `serverName` (a name or an IP address) or `checkServerIdentity` is
 *   required; `checkServerIdentity: () => undefined` opts out of the name check explicitly.
 * - `checkServerIdentity`, when given, runs after the handshake in addition to the built-in
 *   check of `serverName`; an `Error` it returns or throws rejects the promise.
 *
 * @returns the stream, once the handshake completed (and `checkServerIdentity` accepted).
 * @throws {TypeError} synchronously, before any byte is sent: a transport with neither
 *   `serverName` nor `checkServerIdentity`; a `serverName` that is not a non-empty string; a
 *   `checkServerIdentity` that is not a function; a missing or invalid `port`; a `session`
 *   that is not one from `getSession()` (garbage, truncated, another format).
 * @throws {SspiError} from `acquireTlsCredentials` (bad options) or from the handshake
 *   (`TlsError`: `SEC_E_UNTRUSTED_ROOT`, `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_EXPIRED`,
 *   `SEC_E_ILLEGAL_MESSAGE`, `SEC_E_ALGORITHM_MISMATCH`, …; the alert was sent), or
 *   `SEC_E_INCOMPLETE_MESSAGE` when the transport ended during the handshake.
 * @throws the `Error` `checkServerIdentity` returned or threw.
 * @throws {AbortError} when `options.signal` aborts the handshake.
 */
export function connectTls(options: TlsConnectOptions): Promise<SspiTlsStream>;
export function connectTls(
  transport: MessageTransport | Duplex,
  options: TlsStreamOptions,
): Promise<SspiTlsStream>;
export function connectTls(
  first: TlsConnectOptions | MessageTransport | Duplex,
  second?: TlsStreamOptions,
): Promise<SspiTlsStream> {
  if (isDuplex(first) || second !== undefined || isMessageTransport(first)) {
    const options = fromNodeOptions(second ?? {}, STREAM_OPTION_NAMES, "connectTls", "client");
    assertSession(options.session);
    const identity = serverIdentityOf(options, undefined);
    return open("client", first as MessageTransport | Duplex, options, identity);
  }
  const normalized = fromNodeOptions(
    first as TlsConnectOptions,
    [...STREAM_OPTION_NAMES, "host", "port"],
    "connectTls",
    "client",
  );
  const { host = "localhost", port, ...options } = normalized;
  assertSession(options.session);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new TypeError(`connectTls: options.port must be a TCP port number (1-65535), got ${String(port)}`);
  const identity = serverIdentityOf(options, host);
  // allowHalfOpen: the stream, not the socket, decides when our side ends (after close_notify).
  return open("client", netConnect({ host, port, allowHalfOpen: true, noDelay: true }), options, identity);
}

/** Throws the `TypeError` of a `session` that is not one from `getSession()`. */
function assertSession(session: unknown): void {
  if (session === undefined) return;
  const problem = sessionBlobError(session);
  if (problem !== null) throw new TypeError(`connectTls: options.session: ${problem}`);
}

function isMessageTransport(value: unknown): value is MessageTransport {
  const t = value as Partial<MessageTransport> | null;
  return typeof t?.send === "function" && typeof t.onMessage === "function";
}

/**
 * Accepts a TLS client over `transport` (server side; needs `certificates` or server `credentials`).
 *
 * @returns the stream, once the handshake completed.
 * @throws {SspiError} as {@link connectTls} (`SEC_E_NO_CREDENTIALS` without a certificate;
 *   handshake failures such as `SEC_E_ILLEGAL_MESSAGE`, `SEC_E_ALGORITHM_MISMATCH`,
 *   `SEC_E_UNTRUSTED_ROOT` for a rejected client certificate).
 * @throws {AbortError} when `options.signal` aborts the handshake.
 */
export function acceptTls(
  transport: MessageTransport | Duplex,
  options: TlsStreamOptions = {},
): Promise<SspiTlsStream> {
  return open(
    "server",
    transport,
    fromNodeOptions(options, STREAM_OPTION_NAMES, "acceptTls", "server"),
    null,
  );
}

/** Every option name a stream accepts (credential, context and stream options). */
export const STREAM_OPTION_NAMES: readonly string[] = [
  ...CREDENTIAL_NAMES,
  ...CONTEXT_NAMES,
  ...STREAM_NAMES,
];
