/**
 * `connectTls` / `acceptTls`: a TLS client or server stream over a transport in one call,
 * resolving once the handshake completed.
 *
 * ```ts
 * const socket = net.connect(443, "example.test");
 * const tls = await connectTls(socket, { serverName: "example.test", alpn: ["http/1.1"] });
 * tls.write("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
 * ```
 *
 * @module
 */
import { once } from "node:events";
import type { Duplex } from "node:stream";
import type { TlsCredentialsOptions } from "./credential-options.js";
import { acquireTlsCredentials, type TlsCredentials } from "./credentials.js";
import { TlsContext, type TlsContextOptions } from "./tls-context.js";
import { SspiTlsStream } from "./tls-stream.js";
import type { MessageTransport } from "./transport.js";

/**
 * Options of {@link connectTls}/{@link acceptTls}: either `credentials` acquired beforehand
 * (shared by many connections, not closed by the stream) or the credential options (minus
 * `role`), from which credentials are acquired for this one connection and freed when the
 * stream closes; plus the context options and the stream's `signal`/`allowHalfOpen`.
 */
export type TlsStreamOptions = Omit<TlsCredentialsOptions, "role"> &
  TlsContextOptions & {
    /** Credentials to use (their role must match); when given, the credential options are ignored. */
    credentials?: TlsCredentials;
    /** Aborts the handshake (the promise rejects with an `AbortError`). */
    signal?: AbortSignal;
    /** Keep the writable side open after the peer's close_notify (default false). */
    allowHalfOpen?: boolean;
    /** An end without the peer's close_notify is an `ERR_TLS_TRUNCATED` error (see `SspiTlsStream.truncated`). */
    strictClose?: boolean;
  };

async function open(
  role: "client" | "server",
  transport: MessageTransport | Duplex,
  options: TlsStreamOptions,
): Promise<SspiTlsStream> {
  const {
    credentials: given,
    signal,
    allowHalfOpen,
    strictClose,
    serverName,
    requestClientCertificate,
    ...rest
  } = options;
  const credentials = given ?? (await acquireTlsCredentials({ ...rest, role }));
  let context: TlsContext;
  try {
    context = new TlsContext(credentials, {
      ...(serverName !== undefined && { serverName }),
      ...(rest.alpn !== undefined && { alpn: rest.alpn }),
      ...(requestClientCertificate !== undefined && { requestClientCertificate }),
    });
  } catch (error) {
    if (!given) await credentials.close();
    throw error;
  }
  const stream = new SspiTlsStream({
    context,
    transport,
    ...(signal && { signal }),
    ...(allowHalfOpen !== undefined && { allowHalfOpen }),
    ...(strictClose !== undefined && { strictClose }),
  });
  if (!given) stream.once("close", () => void credentials.close());
  // `once` rejects on 'error', with the SspiError (or AbortError) that destroyed the stream.
  await once(stream, "secure");
  return stream;
}

/**
 * Opens a TLS client over `transport`.
 *
 * @returns the stream, once the handshake completed.
 * @throws {SspiError} from `acquireTlsCredentials` (bad options) or from the handshake
 *   (`TlsError`: `SEC_E_UNTRUSTED_ROOT`, `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_EXPIRED`,
 *   `SEC_E_ILLEGAL_MESSAGE`, `SEC_E_ALGORITHM_MISMATCH`, …; the alert was sent), or
 *   `SEC_E_INCOMPLETE_MESSAGE` when the transport ended during the handshake.
 * @throws {AbortError} when `options.signal` aborts the handshake.
 */
export function connectTls(
  transport: MessageTransport | Duplex,
  options: TlsStreamOptions = {},
): Promise<SspiTlsStream> {
  return open("client", transport, options);
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
  return open("server", transport, options);
}
