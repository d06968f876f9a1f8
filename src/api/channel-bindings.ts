/**
 * Channel bindings of a TLS connection for the authentication packages: what binds an NTLM,
 * Kerberos or Negotiate authentication to the TLS connection it runs over (Windows' Extended
 * Protection). From our own TLS ({@link TlsContext}, {@link SspiTlsStream}) they are the
 * Schannel package's `SECPKG_ATTR_ENDPOINT_BINDINGS` / `SECPKG_ATTR_UNIQUE_BINDINGS`; from
 * Node's `tls.TLSSocket` (an `https` or undici connection) they are computed from its
 * certificate (RFC 5929 tls-server-end-point) or Finished messages (tls-unique, TLS 1.2).
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import { SECPKG_ATTR_ENDPOINT_BINDINGS, SECPKG_ATTR_UNIQUE_BINDINGS } from "../sspi/attributes.js";
import { type SEC_CHANNEL_BINDINGS, tlsServerEndPointBindings } from "../sspi/channel-bindings.js";
import { QueryContextAttributes } from "../sspi/context-functions.js";
import { CtxtHandle } from "../sspi/handles.js";
import { SEC_E_OK } from "../sspi/status.js";
import { box } from "../sspi/types.js";
import { TlsContext } from "./tls-context.js";
import { SspiTlsStream } from "./tls-stream.js";

/** Which binding: RFC 5929 `tls-server-end-point` (default, what HTTP uses) or `tls-unique`. */
export type ChannelBindingKind = "tls-server-end-point" | "tls-unique";

/** Where bindings come from: one of our TLS connections or a Node TLS socket. */
export type ChannelBindingSource = TlsContext | SspiTlsStream | TLSSocket | CtxtHandle;

function isServerSocket(socket: TLSSocket): boolean {
  return (socket as unknown as { _tlsOptions?: { isServer?: boolean } })._tlsOptions?.isServer === true;
}

function fromNodeSocket(socket: TLSSocket, kind: ChannelBindingKind): SEC_CHANNEL_BINDINGS | null {
  if (kind === "tls-unique") {
    if (socket.getProtocol() !== "TLSv1.2") return null;
    // tls-unique is the first Finished message: the client's on a full handshake.
    const finished = isServerSocket(socket) ? socket.getPeerFinished() : socket.getFinished();
    if (!finished) return null;
    const prefix = Buffer.from("tls-unique:", "ascii");
    return { applicationData: new Uint8Array(Buffer.concat([prefix, finished])) };
  }
  const certificate = isServerSocket(socket) ? socket.getCertificate() : socket.getPeerCertificate();
  const raw = (certificate as { raw?: Buffer } | null)?.raw;
  return raw ? tlsServerEndPointBindings(new Uint8Array(raw)) : null;
}

/**
 * The channel bindings of a TLS connection, or null when it has none of that kind (no server
 * certificate, tls-unique on TLS 1.3, a handshake not complete). A Node `TLSSocket` whose
 * session was resumed shows no peer certificate, so its tls-server-end-point is null: clients
 * that send bindings turn session resumption off (`maxCachedSessions: 0`).
 */
export function channelBindingsOf(
  source: ChannelBindingSource,
  kind: ChannelBindingKind = "tls-server-end-point",
): SEC_CHANNEL_BINDINGS | null {
  const handle =
    source instanceof TlsContext
      ? source.handle
      : source instanceof SspiTlsStream
        ? source.context.handle
        : source instanceof CtxtHandle
          ? source
          : null;
  if (handle === null) return fromNodeSocket(source as TLSSocket, kind);
  const attribute = kind === "tls-unique" ? SECPKG_ATTR_UNIQUE_BINDINGS : SECPKG_ATTR_ENDPOINT_BINDINGS;
  const bindings = box<{ Bindings: SEC_CHANNEL_BINDINGS } | null>(null);
  return QueryContextAttributes(handle, attribute, bindings) === SEC_E_OK && bindings.value
    ? bindings.value.Bindings
    : null;
}
