/**
 * `createTlsConnection(options)`: `tls.connect`'s shape — the stream is returned at once and
 * emits `'secureConnect'` when the handshake completed; writes made before then wait for it.
 * This is the form `createConnection` hooks expect (`http2.connect(url, { createConnection })`,
 * `https.request({ createConnection })`). Credentials must be acquired beforehand (acquiring
 * is asynchronous); `connectTls` is the promise form that acquires them for you.
 *
 * ```ts
 * const credentials = await acquireTlsCredentials({ role: "client", ca, alpn: ["h2"] });
 * const session = http2.connect("https://example.test", {
 *   createConnection: () => createTlsConnection({ host: "example.test", port: 443, credentials }),
 * });
 * ```
 *
 * @module
 */
import { connect as netConnect } from "node:net";
import { STREAM_OPTION_NAMES, type TlsConnectOptions } from "./connect.js";
import type { TlsCredentials } from "./credentials.js";
import { fromNodeOptions } from "./node-options.js";
import { runIdentityCheck, serverIdentityOf } from "./server-identity.js";
import { TlsContext } from "./tls-context.js";
import { SspiTlsStream } from "./tls-stream.js";

/** Options of {@link createTlsConnection}: those of `connectTls({ host, port })`, with `credentials` required. */
export type TlsConnectionOptions = TlsConnectOptions & { credentials: TlsCredentials };

/**
 * Opens a TCP connection and starts a TLS client over it, returning the stream at once.
 * Failures (the socket's `ECONNREFUSED`, a handshake `TlsError`, a `checkServerIdentity`
 * rejection) are the stream's `'error'`. The server-name rules are `connectTls`'s.
 *
 * @throws {TypeError} synchronously: no `credentials`, a bad `port`, unknown options, a
 *   `session` that is not one from `getSession()`.
 */
export function createTlsConnection(options: TlsConnectionOptions): SspiTlsStream {
  const where = "createTlsConnection";
  const normalized = fromNodeOptions(options, [...STREAM_OPTION_NAMES, "host", "port"], where, "client");
  const {
    host = "localhost",
    port,
    credentials,
    signal,
    allowHalfOpen,
    strictClose,
    alpn,
    session,
  } = normalized;
  if (credentials === undefined)
    throw new TypeError(
      `${where}: options.credentials is required (acquireTlsCredentials): a stream returned at once cannot wait for credentials — connectTls() acquires them for you`,
    );
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new TypeError(`${where}: options.port must be a TCP port number (1-65535), got ${String(port)}`);
  const identity = serverIdentityOf(normalized, host);
  const context = new TlsContext(credentials, {
    serverName: identity.serverName,
    ...(alpn !== undefined && { alpn: typeof alpn === "string" ? [alpn] : alpn }),
    ...(session !== undefined && { session }),
  });
  const stream = new SspiTlsStream({
    context,
    transport: netConnect({ host, port, allowHalfOpen: true, noDelay: true }),
    ...(signal && { signal }),
    ...(allowHalfOpen !== undefined && { allowHalfOpen }),
    ...(strictClose !== undefined && { strictClose }),
  });
  stream.once("secure", () => {
    const rejected = runIdentityCheck(identity, stream);
    if (rejected !== null) stream.destroy(rejected);
  });
  return stream;
}
