/**
 * `QueryContextAttributes` for Schannel contexts: each `SECPKG_ATTR_*` answered from the
 * snapshot taken when the handshake completed (never waiting on an engine), as a typed object
 * keeping Schannel's field names.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import {
  SECPKG_ATTR_APPLICATION_PROTOCOL,
  SECPKG_ATTR_CERT_CHECK_RESULT,
  SECPKG_ATTR_CERT_CHECK_RESULT_INPROC,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_CONNECTION_INFO,
  SECPKG_ATTR_ENDPOINT_BINDINGS,
  SECPKG_ATTR_ISSUER_LIST_EX,
  SECPKG_ATTR_KEYING_MATERIAL,
  SECPKG_ATTR_LIFESPAN,
  SECPKG_ATTR_LOCAL_CERT_CONTEXT,
  SECPKG_ATTR_PACKAGE_INFO,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_ATTR_REMOTE_CERTIFICATES,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_ATTR_SIZES,
  SECPKG_ATTR_STREAM_SIZES,
  SECPKG_ATTR_UNIQUE_BINDINGS,
  SSL_SESSION_RECONNECT,
} from "../sspi/attributes.js";
import {
  SecApplicationProtocolNegotiationExt_ALPN,
  SecApplicationProtocolNegotiationStatus_None,
  SecApplicationProtocolNegotiationStatus_Success,
} from "../sspi/buffer-types.js";
import { copyBytes } from "../sspi/bytes.js";
import { tlsServerEndPointHash } from "../sspi/channel-bindings.js";
import { contextBuffers } from "../sspi/context-buffers.js";
import {
  SP_PROT_TLS1_2_CLIENT,
  SP_PROT_TLS1_2_SERVER,
  SP_PROT_TLS1_3_CLIENT,
  SP_PROT_TLS1_3_SERVER,
} from "../sspi/schannel-constants.js";
import type { Outcome } from "../sspi/security-package.js";
import {
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
} from "../sspi/status.js";
import { timeStampFromDate } from "../sspi/timestamp.js";
import type { Box, SecPkgInfo, TimeStamp } from "../sspi/types.js";
import type { CipherSuite } from "./cipher-suites.js";
import type { HandshakeSummary } from "./engine/engine-types.js";
import type { StreamSizes } from "./native/native-records.js";

/** CAPI `ALG_ID`s Schannel reports in `SecPkgContext_ConnectionInfo`. */
export const CALG_AES_128 = 0x660e;
export const CALG_AES_256 = 0x6610;
export const CALG_SHA_256 = 0x800c;
export const CALG_SHA_384 = 0x800d;
export const CALG_ECDH_EPHEM = 0xae06;

/** A certificate as `SECPKG_ATTR_REMOTE_CERT_CONTEXT`/`LOCAL_CERT_CONTEXT` returns it (a `CERT_CONTEXT` analogue). */
export interface CertContext {
  dwCertEncodingType: 1;
  pbCertEncoded: Uint8Array;
  cbCertEncoded: number;
  /** The same certificate as a Node `X509Certificate`. */
  certificate: X509Certificate;
  /** The whole chain the peer sent, leaf first (remote only; the local chain is `[leaf]`). */
  chain: Array<{ der: Uint8Array; certificate: X509Certificate }>;
}

/** `SECPKG_ATTR_KEYING_MATERIAL_INFO`: what to export (set with SetContextAttributes). */
export interface SecPkgContext_KeyingMaterialInfo {
  /** The exporter label (RFC 5705 / RFC 8446 §7.5). */
  pszLabel: string;
  /** Context value, or null for none (TLS 1.2 distinguishes none from empty). */
  pbContextValue: Uint8Array | null;
  cbKeyingMaterial: number;
}

/**
 * `SECPKG_ATTR_TLS_SESSION_EX` (extension): a TLS client's newest resumable session, exported
 * (see `native/session-blob.ts`). Only sessions of handshakes the package validated are
 * exported; with manual validation there is never one.
 */
export interface SecPkgContext_TlsSessionEx {
  cbSession: number;
  /** The session (a copy), or null while none arrived. */
  pbSession: Uint8Array | null;
  /** How many sessions arrived on this connection so far (TLS 1.3 servers send several). */
  cSessionsReceived: number;
}

/** What a completed handshake leaves for the attributes. */
export interface EstablishedSnapshot {
  summary: HandshakeSummary;
  suite: CipherSuite;
  packageInfo: SecPkgInfo;
  /** SecPkgContext_StreamSizes of the connection's records. */
  streamSizes: StreamSizes;
  /** OpenSSL's exporter (RFC 5705 / RFC 8446 §7.5); null once the context is deleted. */
  exportKeyingMaterial: (label: string, context: Uint8Array | null, length: number) => Uint8Array | null;
  keyingMaterialInfo: SecPkgContext_KeyingMaterialInfo | null;
}

function protocolBits(summary: HandshakeSummary): number {
  const client = summary.role === "client";
  if (summary.protocol === "TLSv1.3") return client ? SP_PROT_TLS1_3_CLIENT : SP_PROT_TLS1_3_SERVER;
  return client ? SP_PROT_TLS1_2_CLIENT : SP_PROT_TLS1_2_SERVER;
}

function groupBits(group: string | null): number {
  if (group === null) return 0;
  if (/25519/i.test(group)) return 255;
  if (/384/.test(group)) return 384;
  if (/256/.test(group)) return 256;
  return 0;
}

function certificateKeyType(der: Uint8Array | null): string {
  if (der === null) return "";
  const type = new X509Certificate(der).publicKey.asymmetricKeyType ?? "";
  return type === "ec"
    ? "ECDSA"
    : type === "rsa"
      ? "RSA"
      : type === "ed25519"
        ? "Ed25519"
        : type.toUpperCase();
}

function certContext(chain: Uint8Array[]): CertContext | null {
  const [leaf] = chain;
  if (leaf === undefined) return null;
  const parsed = chain.map((der) => ({ der, certificate: new X509Certificate(der) }));
  return {
    dwCertEncodingType: 1,
    pbCertEncoded: leaf,
    cbCertEncoded: leaf.byteLength,
    certificate: parsed[0]!.certificate,
    chain: parsed,
  };
}

function channelBindings(prefix: string, data: Uint8Array) {
  const applicationData = Buffer.concat([Buffer.from(prefix, "ascii"), data]);
  return {
    BindingsLength: applicationData.byteLength,
    Bindings: { dwApplicationDataLength: applicationData.byteLength, applicationData },
  };
}

/**
 * Answers one attribute.
 *
 * @returns `SEC_E_OK` with `pBuffer.value` set; `SEC_E_NO_CREDENTIALS` for a certificate the
 *   context does not have (no client certificate, anonymous peer); `SEC_E_INVALID_PARAMETER`
 *   for `SECPKG_ATTR_KEYING_MATERIAL` before `SECPKG_ATTR_KEYING_MATERIAL_INFO` was set;
 *   `SEC_E_INCOMPLETE_MESSAGE` when the handshake has not completed (attributes that need it);
 *   `SEC_E_UNSUPPORTED_FUNCTION` for an attribute Schannel contexts do not answer
 *   (`SECPKG_ATTR_UNIQUE_BINDINGS` on TLS 1.2 from the first engine, which has no Finished
 *   message; the native engine answers tls-unique from it).
 *   `requestedIssuers` (client) are the issuers a CertificateRequest named, answered by
 *   `SECPKG_ATTR_ISSUER_LIST_EX` even before the handshake completes.
 */
export function queryEstablishedAttribute(
  snapshot: EstablishedSnapshot | null,
  attribute: number,
  pBuffer: Box<unknown>,
  requestedIssuers: Uint8Array[] | null,
): Outcome {
  if (attribute === SECPKG_ATTR_ISSUER_LIST_EX && (snapshot === null || requestedIssuers !== null)) {
    const issuers = requestedIssuers ?? [];
    pBuffer.value = {
      cIssuers: issuers.length,
      aIssuers: issuers.map((d) => ({ cbData: d.byteLength, pbData: copyBytes(d) })),
    };
    return { status: SEC_E_OK };
  }
  if (attribute === SECPKG_ATTR_CERT_CHECK_RESULT || attribute === SECPKG_ATTR_CERT_CHECK_RESULT_INPROC) {
    const check = snapshot?.summary.certificateCheck;
    if (!check) return { status: SEC_E_INCOMPLETE_MESSAGE, reason: "no certificate has been checked yet" };
    pBuffer.value = {
      dwChainErrorStatus: check.verifyError === null ? 0 : 1,
      hrVerifyChainStatus: check.status,
      verifyError: check.verifyError,
    };
    return { status: SEC_E_OK };
  }
  if (snapshot === null)
    return { status: SEC_E_INCOMPLETE_MESSAGE, reason: "the handshake has not completed" };
  const { summary, suite } = snapshot;
  switch (attribute) {
    case SECPKG_ATTR_STREAM_SIZES:
      pBuffer.value = { ...snapshot.streamSizes };
      return { status: SEC_E_OK };
    case SECPKG_ATTR_SIZES: {
      const sizes = snapshot.streamSizes;
      pBuffer.value = {
        cbMaxToken: snapshot.packageInfo.cbMaxToken,
        cbMaxSignature: 0,
        cbBlockSize: sizes.cbBlockSize,
        cbSecurityTrailer: sizes.cbTrailer,
      };
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_CONNECTION_INFO: {
      const aes = suite.cipher !== "chacha20-poly1305";
      pBuffer.value = {
        dwProtocol: protocolBits(summary),
        aiCipher: aes ? (suite.keyLength === 16 ? CALG_AES_128 : CALG_AES_256) : 0,
        dwCipherStrength: suite.keyLength * 8,
        aiHash: suite.hash === "sha384" ? CALG_SHA_384 : CALG_SHA_256,
        dwHashStrength: suite.hashLength * 8,
        aiExch: CALG_ECDH_EPHEM,
        dwExchStrength: groupBits(summary.group),
      };
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_CIPHER_INFO: {
      const certDer =
        summary.role === "client" ? (summary.peerCertificates[0] ?? null) : summary.localCertificate;
      pBuffer.value = {
        dwVersion: 1,
        dwProtocol: protocolBits(summary),
        dwCipherSuite: suite.id,
        dwBaseCipherSuite: suite.id,
        szCipherSuite: suite.ianaName,
        szCipher: suite.cipher === "chacha20-poly1305" ? "CHACHA20_POLY1305" : "AES",
        dwCipherLen: suite.keyLength * 8,
        dwCipherBlockLen: suite.cipher === "chacha20-poly1305" ? 1 : 16,
        szHash: suite.hash.toUpperCase(),
        dwHashLen: suite.hashLength * 8,
        szExchange: "ECDHE",
        szExchangeGroup: summary.group ?? "",
        dwMinExchangeLen: groupBits(summary.group),
        dwMaxExchangeLen: groupBits(summary.group),
        szCertificate: certificateKeyType(certDer),
        dwKeyType: 0,
        szOpensslName: suite.opensslName,
      };
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_APPLICATION_PROTOCOL: {
      const id =
        summary.alpn === null ? new Uint8Array(0) : new Uint8Array(Buffer.from(summary.alpn, "utf8"));
      pBuffer.value = {
        ProtoNegoStatus:
          summary.alpn === null
            ? SecApplicationProtocolNegotiationStatus_None
            : SecApplicationProtocolNegotiationStatus_Success,
        ProtoNegoExt: SecApplicationProtocolNegotiationExt_ALPN,
        ProtocolIdSize: id.byteLength,
        ProtocolId: id,
        protocol: summary.alpn,
      };
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_REMOTE_CERT_CONTEXT: {
      const ctx = certContext(summary.peerCertificates);
      if (ctx === null) return { status: SEC_E_NO_CREDENTIALS, reason: "the peer sent no certificate" };
      pBuffer.value = ctx;
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_REMOTE_CERTIFICATES: {
      if (summary.peerCertificates.length === 0)
        return { status: SEC_E_NO_CREDENTIALS, reason: "the peer sent no certificate" };
      pBuffer.value = {
        cCertificates: summary.peerCertificates.length,
        certificates: summary.peerCertificates.map(copyBytes),
      };
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_LOCAL_CERT_CONTEXT: {
      const ctx = certContext(summary.localCertificate ? [summary.localCertificate] : []);
      if (ctx === null) return { status: SEC_E_NO_CREDENTIALS, reason: "this side used no certificate" };
      pBuffer.value = ctx;
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_SESSION_INFO:
      pBuffer.value = {
        dwFlags: summary.resumed ? SSL_SESSION_RECONNECT : 0,
        cbSessionId: summary.sessionId.byteLength,
        rgbSessionId: copyBytes(summary.sessionId),
      };
      return { status: SEC_E_OK };
    case SECPKG_ATTR_ISSUER_LIST_EX:
      pBuffer.value = {
        cIssuers: summary.acceptableIssuers.length,
        aIssuers: summary.acceptableIssuers.map((d) => ({ cbData: d.byteLength, pbData: copyBytes(d) })),
      };
      return { status: SEC_E_OK };
    case SECPKG_ATTR_LIFESPAN: {
      const der = summary.peerCertificates[0] ?? summary.localCertificate;
      let start: TimeStamp = 0n;
      let expiry: TimeStamp = 0x7fff_ffff_ffff_ffffn;
      if (der) {
        const cert = new X509Certificate(der);
        start = timeStampFromDate(new Date(cert.validFrom));
        expiry = timeStampFromDate(new Date(cert.validTo));
      }
      pBuffer.value = { tsStart: start, tsExpiry: expiry };
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_PACKAGE_INFO:
      pBuffer.value = { PackageInfo: contextBuffers.track({ ...snapshot.packageInfo }) };
      return { status: SEC_E_OK };
    case SECPKG_ATTR_ENDPOINT_BINDINGS: {
      const serverCert = summary.role === "client" ? summary.peerCertificates[0] : summary.localCertificate;
      if (!serverCert) return { status: SEC_E_NO_CREDENTIALS, reason: "no server certificate" };
      pBuffer.value = channelBindings("tls-server-end-point:", tlsServerEndPointHash(serverCert));
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_UNIQUE_BINDINGS: {
      if (summary.protocol === "TLSv1.2" && summary.tlsUnique !== undefined) {
        pBuffer.value = channelBindings("tls-unique:", summary.tlsUnique);
        return { status: SEC_E_OK };
      }
      const data =
        summary.protocol === "TLSv1.3"
          ? snapshot.exportKeyingMaterial("EXPORTER-Channel-Binding", new Uint8Array(0), 32)
          : null;
      if (data === null) {
        return {
          status: SEC_E_UNSUPPORTED_FUNCTION,
          reason: "tls-unique (TLS 1.2) is not available; use SECPKG_ATTR_ENDPOINT_BINDINGS",
        };
      }
      pBuffer.value = channelBindings("tls-exporter:", data);
      return { status: SEC_E_OK };
    }
    case SECPKG_ATTR_KEYING_MATERIAL: {
      const info = snapshot.keyingMaterialInfo;
      if (info === null)
        return { status: SEC_E_INVALID_PARAMETER, reason: "set SECPKG_ATTR_KEYING_MATERIAL_INFO first" };
      const material = snapshot.exportKeyingMaterial(
        info.pszLabel,
        info.pbContextValue,
        info.cbKeyingMaterial,
      );
      if (material === null) return { status: SEC_E_CONTEXT_EXPIRED, reason: "the context was deleted" };
      pBuffer.value = {
        cbKeyingMaterial: material.byteLength,
        pbKeyingMaterial: contextBuffers.track(new Uint8Array(material)),
      };
      return { status: SEC_E_OK };
    }
    default:
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: `attribute 0x${attribute.toString(16)} is not supported by Schannel contexts`,
      };
  }
}

/**
 * Validates a `SECPKG_ATTR_KEYING_MATERIAL_INFO` value: `{ pszLabel, pbContextValue?, cbKeyingMaterial }`
 * (C's `cbLabel`/`cbContextValue` are accepted and ignored).
 *
 * @returns the copied value, or `{ error }`.
 */
export function parseKeyingMaterialInfo(
  value: unknown,
): SecPkgContext_KeyingMaterialInfo | { error: string } {
  if (typeof value !== "object" || value === null)
    return { error: "SECPKG_ATTR_KEYING_MATERIAL_INFO needs an object" };
  const { pszLabel, pbContextValue, cbKeyingMaterial } = value as Record<string, unknown>;
  if (typeof pszLabel !== "string" || pszLabel.length === 0 || pszLabel.length > 249)
    return { error: "pszLabel must be a non-empty string of at most 249 characters" };
  if (pbContextValue !== undefined && pbContextValue !== null && !(pbContextValue instanceof Uint8Array))
    return { error: "pbContextValue must be a Uint8Array or null" };
  if (
    typeof cbKeyingMaterial !== "number" ||
    !Number.isInteger(cbKeyingMaterial) ||
    cbKeyingMaterial < 1 ||
    cbKeyingMaterial > 16384
  ) {
    return { error: "cbKeyingMaterial must be an integer from 1 to 16384" };
  }
  return {
    pszLabel,
    pbContextValue: pbContextValue instanceof Uint8Array ? copyBytes(pbContextValue) : null,
    cbKeyingMaterial,
  };
}
