/**
 * Which name a TLS client checks the server's certificate against, secure by default:
 *
 * - `connectTls({ host, port, … })` (it opens the socket, like `tls.connect`): the server name
 *   is `serverName`, else `host`. A DNS name is sent as SNI and matched against the
 *   certificate's DNS names; an IP address is not sent (SNI carries no addresses) and is matched
 *   against the certificate's IP address SANs.
 * - `connectTls(socketOrTransport, options)`: the transport says nothing about the server, so
 *   `serverName` (a name or an IP address) or a `checkServerIdentity` function is required; a
 *   call with neither throws a `TypeError` before any byte is sent. `checkServerIdentity:
 *   () => undefined` opts out of the name check explicitly (the chain is still validated).
 *
 * `checkServerIdentity(hostname, certificate)` is Node's escape hatch with Node's signature: it
 * runs once the handshake completed, on every connection (resumed ones too), and an `Error` it
 * returns (or throws) fails the connection before the caller gets the stream. Unlike Node's, it
 * runs *in addition to* the built-in check of `serverName`, never instead of it: give no
 * `serverName` to let the function alone decide, or credentials acquired with
 * `noServerNameCheck: true` to send SNI without the built-in check.
 *
 * (The SSPI front door keeps Schannel's semantics: `InitializeSecurityContext` with a null
 * `pszTargetName` checks no name; see docs/schannel.md.)
 *
 * @module
 */
import type { PeerCertificate } from "node:tls";
import type { SspiTlsStream } from "./tls-stream.js";

/** Node's `checkServerIdentity` signature: an `Error` rejects the certificate, `undefined` accepts it. */
export type CheckServerIdentity = (hostname: string, certificate: PeerCertificate) => Error | undefined;

/** What a client connection checks. */
export interface ServerIdentity {
  /** The name or IP address given to the context (SNI for a name; matched by the built-in check), or null. */
  serverName: string | null;
  /** The name handed to `check`. */
  hostname: string;
  /** The caller's extra check, if any. */
  check: CheckServerIdentity | null;
}

function validName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/**
 * The identity a `connectTls` call checks.
 *
 * @param host the `host` of the socket-opening form, or undefined for a caller's transport.
 * @throws {TypeError} for a caller's transport with neither `serverName` nor
 *   `checkServerIdentity`, for a `serverName` that is not a non-empty string, and for a
 *   `checkServerIdentity` that is not a function.
 */
export function serverIdentityOf(
  options: { serverName?: string | null; checkServerIdentity?: CheckServerIdentity },
  host: string | undefined,
): ServerIdentity {
  const { serverName, checkServerIdentity } = options;
  if (checkServerIdentity !== undefined && typeof checkServerIdentity !== "function")
    throw new TypeError("connectTls: options.checkServerIdentity must be a function");
  if (serverName !== undefined && serverName !== null && !validName(serverName))
    throw new TypeError(
      "connectTls: options.serverName must be a non-empty string (a DNS name or an IP address)",
    );
  const name = validName(serverName) ? serverName : host !== undefined && validName(host) ? host : null;
  if (name === null && checkServerIdentity === undefined)
    throw new TypeError(
      "connectTls: options.serverName is required over a socket or transport — the name (or IP address) " +
        "the server's certificate must match. To decide yourself, pass checkServerIdentity " +
        "(`() => undefined` skips the name check; the chain is still validated).",
    );
  return { serverName: name, hostname: name ?? "", check: checkServerIdentity ?? null };
}

/**
 * Runs the caller's `checkServerIdentity` on an established stream.
 *
 * @returns the error that rejects the server (returned or thrown by the function), or null.
 */
export function runIdentityCheck(identity: ServerIdentity, stream: SspiTlsStream): Error | null {
  if (identity.check === null) return null;
  const certificate = stream.context.peerCertificate;
  // Without a certificate (a resumed session may carry none), the function sees an empty one:
  // a real check then fails closed, an explicit opt-out still passes.
  const legacy = (certificate?.toLegacyObject() ?? {}) as PeerCertificate;
  try {
    const verdict = identity.check(identity.hostname, legacy);
    if (verdict === undefined || verdict === null) return null;
    return verdict instanceof Error ? verdict : new Error(String(verdict));
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
