/**
 * `SEC_CHANNEL_BINDINGS` in the flat form a `SECBUFFER_CHANNEL_BINDINGS` input buffer carries:
 * eight little-endian u32 (initiator address type, length, offset; acceptor address type,
 * length, offset; application data length, offset) followed by the data they point to. What the
 * TLS package's `SECPKG_ATTR_ENDPOINT_BINDINGS` / `SECPKG_ATTR_UNIQUE_BINDINGS` return as
 * `Bindings` becomes, with {@link channelBindingsBuffer}, the buffer an authentication package's
 * ISC/ASC takes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import "reflect-metadata";
import { X509Certificate as PeculiarCertificate } from "@peculiar/x509";
import { SECBUFFER_CHANNEL_BINDINGS } from "./buffer-types.js";
import type { SecBuffer } from "./types.js";

/** `SEC_CHANNEL_BINDINGS` with its data inline (addresses are rarely used: type 0, empty). */
export interface SEC_CHANNEL_BINDINGS {
  dwInitiatorAddrType?: number;
  initiator?: Uint8Array;
  dwAcceptorAddrType?: number;
  acceptor?: Uint8Array;
  /** The channel's bindings, e.g. `"tls-server-end-point:" ‖ certificate hash`. */
  applicationData: Uint8Array;
}

const HEADER = 32;

/** The flat `SEC_CHANNEL_BINDINGS` bytes. */
export function encodeChannelBindings(b: SEC_CHANNEL_BINDINGS): Uint8Array {
  const initiator = b.initiator ?? new Uint8Array(0);
  const acceptor = b.acceptor ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER + initiator.length + acceptor.length + b.applicationData.length);
  const view = new DataView(out.buffer);
  let offset = HEADER;
  const part = (index: number, type: number | null, data: Uint8Array) => {
    if (type !== null) view.setUint32(index * 4, type >>> 0, true);
    const lengthAt = type === null ? index : index + 1;
    view.setUint32(lengthAt * 4, data.length, true);
    view.setUint32((lengthAt + 1) * 4, data.length === 0 ? 0 : offset, true);
    out.set(data, offset);
    offset += data.length;
  };
  part(0, b.dwInitiatorAddrType ?? 0, initiator);
  part(3, b.dwAcceptorAddrType ?? 0, acceptor);
  part(6, null, b.applicationData);
  return out;
}

/** A `SECBUFFER_CHANNEL_BINDINGS` input buffer holding `bindings`. */
export function channelBindingsBuffer(bindings: SEC_CHANNEL_BINDINGS): SecBuffer {
  const pvBuffer = encodeChannelBindings(bindings);
  return { BufferType: SECBUFFER_CHANNEL_BINDINGS, cbBuffer: pvBuffer.length, pvBuffer };
}

/**
 * RFC 5929 tls-server-end-point: the hash of the server certificate (DER) with its signature's
 * hash function, SHA-256 when that is MD5 or SHA-1.
 */
export function tlsServerEndPointHash(der: Uint8Array): Uint8Array {
  const algorithm = new PeculiarCertificate(der).signatureAlgorithm as { hash?: { name?: string } };
  const name = (algorithm.hash?.name ?? "SHA-256").toUpperCase();
  const hash = name === "SHA-384" ? "sha384" : name === "SHA-512" ? "sha512" : "sha256";
  return new Uint8Array(createHash(hash).update(der).digest());
}

/** The tls-server-end-point `SEC_CHANNEL_BINDINGS` of a TLS connection whose server certificate is `der`. */
export function tlsServerEndPointBindings(der: Uint8Array): SEC_CHANNEL_BINDINGS {
  const hash = tlsServerEndPointHash(der);
  const prefix = new TextEncoder().encode("tls-server-end-point:");
  const applicationData = new Uint8Array(prefix.length + hash.length);
  applicationData.set(prefix);
  applicationData.set(hash, prefix.length);
  return { applicationData };
}
