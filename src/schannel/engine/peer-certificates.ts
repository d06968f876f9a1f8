/**
 * Reading certificates from a TLSSocket as DER, and the certificate check both roles run
 * themselves (Node runs with `rejectUnauthorized: false`, because when Node rejects it ends the
 * connection without an alert).
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from "node:tls";
import type { SECURITY_STATUS } from "../../sspi/status.js";
import { failureFromCertificateError } from "./engine-errors.js";

/** @returns the peer chain, leaf first, as DER (empty when the peer sent no certificate). */
export function peerCertificateChain(socket: TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | null;
  const seen = new Set<DetailedPeerCertificate>();
  while (cert?.raw && !seen.has(cert)) {
    seen.add(cert);
    chain.push(new Uint8Array(cert.raw));
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** @returns our certificate (DER) or `null`. */
export function localCertificate(socket: TLSSocket): Uint8Array | null {
  const cert = socket.getCertificate() as { raw?: Buffer } | null;
  return cert?.raw ? new Uint8Array(cert.raw) : null;
}

/** Outcome of a certificate check. */
export interface CertificateVerdict {
  verifyError: string | null;
  status: SECURITY_STATUS;
  alert?: number;
}

/**
 * The client's check of the server certificate: the chain result OpenSSL computed
 * (`authorizationError`), then the name (`tls.checkServerIdentity`) unless the name check is
 * disabled or no target name was given. A resumed handshake is checked too (Node shows no peer
 * certificate then): `resumedLeaf`, the certificate the session was validated with, must carry
 * the name asked for now; without one the name check fails.
 *
 * @param resumedLeaf - with a resumed session: the leaf (DER) kept with it in the cache.
 * @returns the verification code and the status/alert it maps to (`SEC_E_OK`,
 *   `SEC_E_UNTRUSTED_ROOT`, `SEC_E_CERT_EXPIRED`, `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_UNKNOWN`).
 */
export function checkServerCertificate(
  socket: TLSSocket,
  serverName: string | null,
  checkName: boolean,
  resumedLeaf?: Uint8Array,
): CertificateVerdict {
  let code: string | null = socket.authorized
    ? null
    : ((socket.authorizationError as unknown as string) ?? "UNSPECIFIED");
  if (code === null && checkName && serverName !== null) {
    const cert = socket.isSessionReused()
      ? resumedLeaf && new X509Certificate(resumedLeaf).toLegacyObject()
      : socket.getPeerCertificate(true);
    const error =
      cert === undefined
        ? Object.assign(new Error("the resumed session carries no certificate to check"), {
            code: "ERR_TLS_CERT_ALTNAME_INVALID",
          })
        : (checkServerIdentity(serverName, cert) as (Error & { code?: string }) | undefined);
    if (error) code = error.code ?? "ERR_TLS_CERT_ALTNAME_INVALID";
  }
  return { verifyError: code, ...failureFromCertificateError(code) };
}

/**
 * The server's check of a client certificate. The standalone server TLSSocket never computes
 * `authorized` for client certificates, so this reads OpenSSL's stored verification result
 * through the handle's `verifyError()` (what `tls.Server` itself calls).
 *
 * @returns `SEC_E_OK` when a valid certificate was sent, or when none was sent and it is optional;
 *   `SEC_E_MUTUAL_AUTH_FAILED` when none was sent and it is required; otherwise the mapped
 *   verification failure (`SEC_E_UNTRUSTED_ROOT`, `SEC_E_CERT_EXPIRED`, `SEC_E_CERT_UNKNOWN`).
 */
export function checkClientCertificate(socket: TLSSocket, optional: boolean): CertificateVerdict {
  const peer = socket.getPeerCertificate();
  const hasCertificate = peer !== null && Object.keys(peer).length > 0;
  if (!hasCertificate) {
    const code = optional ? null : "NO_PEER_CERTIFICATE";
    return { verifyError: code, ...failureFromCertificateError(code) };
  }
  const handle = (
    socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } }
  )._handle;
  const error = handle?.verifyError?.() ?? null;
  const code = error === null ? null : (error.code ?? error.message);
  return { verifyError: code, ...failureFromCertificateError(code) };
}
