/**
 * What `TLSSocket`'s accessors report (`getProtocol()`, `getCipher()`, `alpnProtocol`,
 * `getPeerCertificate()`), read once from an established {@link TlsContext} so they stay
 * available after the connection closed, as Node's do.
 *
 * @module
 */
import type { DetailedPeerCertificate, PeerCertificate } from "node:tls";
import type { TlsContext } from "./tls-context.js";

/** The negotiated connection, in `TLSSocket`'s terms. */
export interface NegotiatedConnection {
  protocol: string;
  cipher: { name: string; standardName: string; version: string };
  alpnProtocol: string | false;
  /** True when the session was resumed. */
  resumed: boolean;
  /** Client: why the server's certificate would have been refused (OpenSSL's code or the status name), or null. */
  authorizationError: string | null;
  /** The peer certificate as Node's legacy object (`{}` when there is none). */
  legacyCertificate(detailed: boolean): PeerCertificate | DetailedPeerCertificate;
}

/** OpenSSL's names of the TLS 1.2 AEAD suites (Node's `getCipher().name`); TLS 1.3 names are IANA's. */
function opensslName(iana: string): string {
  const m = /^TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM|CHACHA20_POLY1305)_SHA(256|384)$/.exec(iana);
  if (m === null) return iana;
  const cipher = m[2]!.startsWith("AES") ? `AES${m[3]}-GCM` : "CHACHA20-POLY1305";
  return `ECDHE-${m[1]}-${cipher}${m[2]!.startsWith("AES") ? `-SHA${m[4]}` : ""}`;
}

/** Reads the accessors' values from an established context. */
export function negotiatedConnectionOf(context: TlsContext): NegotiatedConnection {
  const protocol = context.protocol;
  const standardName = context.cipherSuite;
  const certificate = context.peerCertificate;
  return {
    protocol,
    cipher: { name: opensslName(standardName), standardName, version: protocol },
    alpnProtocol: context.alpnProtocol ?? false,
    resumed: context.resumed,
    authorizationError: authorizationErrorOf(context),
    legacyCertificate: () => (certificate?.toLegacyObject() ?? {}) as PeerCertificate,
  };
}

function authorizationErrorOf(context: TlsContext): string | null {
  if (context.role !== "client") return null;
  try {
    const check = context.certificateCheck;
    return check.status === 0 ? null : (check.verifyError ?? check.statusName);
  } catch {
    return null; // not reported (a resumed session): the handshake's own validation passed
  }
}
