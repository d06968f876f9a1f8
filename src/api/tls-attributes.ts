/**
 * Typed reads of an established Schannel context's attributes (`QueryContextAttributes`), for
 * the getters of `TlsContext`. Each function throws the call's `SspiError` on failure.
 *
 * @module
 */
import type { X509Certificate } from "node:crypto";
import type { CertContext } from "../schannel/context-attributes.js";
import {
  SECPKG_ATTR_APPLICATION_PROTOCOL,
  SECPKG_ATTR_CERT_CHECK_RESULT,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_CONNECTION_INFO,
  SECPKG_ATTR_KEYING_MATERIAL,
  SECPKG_ATTR_KEYING_MATERIAL_INFO,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_ATTR_STREAM_SIZES,
  SSL_SESSION_RECONNECT,
} from "../sspi/attributes.js";
import { QueryContextAttributes, SetContextAttributes } from "../sspi/context-functions.js";
import type { SecHandle } from "../sspi/handles.js";
import { FreeContextBuffer } from "../sspi/package-registry.js";
import { SP_PROT_TLS1_3 } from "../sspi/schannel-constants.js";
import { SEC_E_NO_CREDENTIALS, SEC_E_OK, type SECURITY_STATUS, statusName } from "../sspi/status.js";
import { box } from "../sspi/types.js";
import { copyBytes } from "./bytes.js";
import type { TlsVersion } from "./credential-options.js";
import { failureOf } from "./tls-error.js";

/** `SecPkgContext_StreamSizes`: how records are framed. */
export interface StreamSizes {
  cbHeader: number;
  cbTrailer: number;
  cbMaximumMessage: number;
}

/** The outcome of validating the peer's certificate chain (see `TlsContext.certificateCheck`). */
export interface CertificateCheck {
  /** `SEC_E_OK`, or the failure a validating context would have returned (`SEC_E_UNTRUSTED_ROOT`, …). */
  status: SECURITY_STATUS;
  /** The status's name. */
  statusName: string;
  /** OpenSSL's verification error code (e.g. `"SELF_SIGNED_CERT_IN_CHAIN"`), or null when valid. */
  verifyError: string | null;
}

/**
 * Reads one attribute.
 *
 * @returns the attribute's value.
 * @throws {SspiError} the `QueryContextAttributes` failure: `SEC_E_INVALID_HANDLE`,
 *   `SEC_E_INCOMPLETE_MESSAGE` (handshake not complete), `SEC_E_UNSUPPORTED_FUNCTION`, …
 */
export function query<T>(handle: SecHandle, attribute: number): T {
  const out = box<T | null>(null);
  const status = QueryContextAttributes(handle, attribute, out);
  if (status !== SEC_E_OK) throw failureOf("QueryContextAttributes", status, handle);
  return out.value as T;
}

/** Like {@link query}, but null when the package answers `SEC_E_NO_CREDENTIALS` (no such certificate). */
function queryCertificate(handle: SecHandle, attribute: number): CertContext | null {
  const out = box<CertContext | null>(null);
  const status = QueryContextAttributes(handle, attribute, out);
  if (status === SEC_E_NO_CREDENTIALS) return null;
  if (status !== SEC_E_OK) throw failureOf("QueryContextAttributes", status, handle);
  return out.value;
}

/** `SECPKG_ATTR_STREAM_SIZES`. */
export function streamSizesOf(handle: SecHandle): StreamSizes {
  return query<StreamSizes>(handle, SECPKG_ATTR_STREAM_SIZES);
}

/** The negotiated version (`SECPKG_ATTR_CONNECTION_INFO`). */
export function protocolOf(handle: SecHandle): TlsVersion {
  const info = query<{ dwProtocol: number }>(handle, SECPKG_ATTR_CONNECTION_INFO);
  return (info.dwProtocol & SP_PROT_TLS1_3) !== 0 ? "TLSv1.3" : "TLSv1.2";
}

/** The negotiated suite's IANA name, e.g. `TLS_AES_128_GCM_SHA256` (`SECPKG_ATTR_CIPHER_INFO`). */
export function cipherSuiteOf(handle: SecHandle): string {
  return query<{ szCipherSuite: string }>(handle, SECPKG_ATTR_CIPHER_INFO).szCipherSuite;
}

/**
 * The key exchange group's name, e.g. `X25519`, `X25519MLKEM768`, `prime256v1`
 * (`SECPKG_ATTR_CIPHER_INFO.szExchangeGroup`).
 */
export function keyExchangeGroupOf(handle: SecHandle): string {
  return query<{ szExchangeGroup: string }>(handle, SECPKG_ATTR_CIPHER_INFO).szExchangeGroup;
}

/** The ALPN id agreed on, or null (`SECPKG_ATTR_APPLICATION_PROTOCOL`). */
export function alpnProtocolOf(handle: SecHandle): string | null {
  return query<{ protocol: string | null }>(handle, SECPKG_ATTR_APPLICATION_PROTOCOL).protocol;
}

/** The peer's leaf certificate, or null when it sent none (`SECPKG_ATTR_REMOTE_CERT_CONTEXT`). */
export function peerCertificateOf(handle: SecHandle): X509Certificate | null {
  return queryCertificate(handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT)?.certificate ?? null;
}

/** Whether the session was resumed (`SECPKG_ATTR_SESSION_INFO`, `SSL_SESSION_RECONNECT`). */
export function resumedOf(handle: SecHandle): boolean {
  return (query<{ dwFlags: number }>(handle, SECPKG_ATTR_SESSION_INFO).dwFlags & SSL_SESSION_RECONNECT) !== 0;
}

/** The chain validation result (`SECPKG_ATTR_CERT_CHECK_RESULT`). */
export function certificateCheckOf(handle: SecHandle): CertificateCheck {
  const r = query<{ hrVerifyChainStatus: number; verifyError: string | null }>(
    handle,
    SECPKG_ATTR_CERT_CHECK_RESULT,
  );
  return {
    status: r.hrVerifyChainStatus,
    statusName: statusName(r.hrVerifyChainStatus) ?? String(r.hrVerifyChainStatus),
    verifyError: r.verifyError,
  };
}

/**
 * RFC 5705 / RFC 8446 §7.5 keying material: sets `SECPKG_ATTR_KEYING_MATERIAL_INFO`, then reads
 * `SECPKG_ATTR_KEYING_MATERIAL`.
 *
 * @throws {SspiError} `SEC_E_INVALID_PARAMETER` (empty or over-long label, length outside
 *   1..16384), `SEC_E_INCOMPLETE_MESSAGE` (handshake not complete), `SEC_E_INVALID_HANDLE`.
 */
export function exportKeyingMaterialOf(
  handle: SecHandle,
  length: number,
  label: string,
  context: Uint8Array | null,
): Uint8Array {
  const set = SetContextAttributes(handle, SECPKG_ATTR_KEYING_MATERIAL_INFO, {
    pszLabel: label,
    pbContextValue: context,
    cbKeyingMaterial: length,
  });
  if (set !== SEC_E_OK) throw failureOf("SetContextAttributes", set, handle);
  const material = query<{ pbKeyingMaterial: Uint8Array }>(handle, SECPKG_ATTR_KEYING_MATERIAL);
  const copy = copyBytes(material.pbKeyingMaterial);
  FreeContextBuffer(material.pbKeyingMaterial);
  return copy;
}
