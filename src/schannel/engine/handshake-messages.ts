/**
 * Reading the few plaintext handshake messages the engine needs from the tokens it carried: the
 * ServerHello (server random, version, suite, key share group: no Node API returns the server
 * random), the TLS 1.2 CertificateRequest (acceptable issuers) and the TLS 1.2 ServerKeyExchange
 * (group on the server side).
 *
 * Parsing is lenient: it stops at the first malformed message, which is where TLS 1.2 encrypted
 * Finished messages (also content type 22) begin.
 *
 * @module
 */
import {
  HANDSHAKE_CERTIFICATE_REQUEST,
  HANDSHAKE_SERVER_HELLO,
  HANDSHAKE_SERVER_KEY_EXCHANGE,
} from "../records/handshake-types.js";
import { CONTENT_TYPE_HANDSHAKE, RECORD_HEADER_LENGTH, splitRecords } from "../records/record-header.js";

const EXT_SUPPORTED_VERSIONS = 43;
const EXT_KEY_SHARE = 51;

/** SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");

/** A handshake message: type and body. */
export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
}

/** The fields of a ServerHello the engine uses. */
export interface ServerHelloInfo {
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  /** 0x0303 or 0x0304 (from supported_versions). */
  version: number;
  /** Named group of the TLS 1.3 key share, when present. */
  group?: number;
}

/**
 * Collects the handshake messages carried in plaintext handshake records of `stream`.
 *
 * @returns messages in order, stopping at the first one that does not parse.
 */
export function plaintextHandshakeMessages(stream: Uint8Array): HandshakeMessage[] {
  const parts: Uint8Array[] = [];
  for (const r of splitRecords(stream).records) {
    if (r.contentType === CONTENT_TYPE_HANDSHAKE)
      parts.push(stream.subarray(r.offset + RECORD_HEADER_LENGTH, r.offset + r.length));
  }
  const data = Buffer.concat(parts);
  const messages: HandshakeMessage[] = [];
  let offset = 0;
  while (offset + 4 <= data.length) {
    const type = data[offset]!;
    const length = data.readUIntBE(offset + 1, 3);
    if (type === 0 || type > 24 || offset + 4 + length > data.length) break;
    messages.push({ type, body: new Uint8Array(data.subarray(offset + 4, offset + 4 + length)) });
    offset += 4 + length;
  }
  return messages;
}

/**
 * Parses a ServerHello body.
 *
 * @returns the fields, or `undefined` when malformed or when it is a HelloRetryRequest.
 */
export function parseServerHello(body: Uint8Array): ServerHelloInfo | undefined {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  try {
    let o = 2;
    const random = new Uint8Array(b.subarray(o, o + 32));
    if (random.length !== 32 || HRR_RANDOM.equals(random)) return undefined;
    o += 32;
    const sidLength = b[o]!;
    const sessionId = new Uint8Array(b.subarray(o + 1, o + 1 + sidLength));
    o += 1 + sidLength;
    const cipherSuite = b.readUInt16BE(o);
    o += 3; // suite + compression method
    const info: ServerHelloInfo = { random, sessionId, cipherSuite, version: b.readUInt16BE(0) };
    if (o + 2 > b.length) return info;
    const end = o + 2 + b.readUInt16BE(o);
    o += 2;
    while (o + 4 <= end) {
      const type = b.readUInt16BE(o);
      const length = b.readUInt16BE(o + 2);
      if (type === EXT_SUPPORTED_VERSIONS && length === 2) info.version = b.readUInt16BE(o + 4);
      if (type === EXT_KEY_SHARE && length >= 2) info.group = b.readUInt16BE(o + 4);
      o += 4 + length;
    }
    return info;
  } catch {
    return undefined;
  }
}

/** @returns the last real ServerHello (not a HelloRetryRequest) in `stream`, or `undefined`. */
export function findServerHello(stream: Uint8Array): ServerHelloInfo | undefined {
  let found: ServerHelloInfo | undefined;
  for (const m of plaintextHandshakeMessages(stream)) {
    if (m.type !== HANDSHAKE_SERVER_HELLO) continue;
    found = parseServerHello(m.body) ?? found;
  }
  return found;
}

/**
 * Finds a TLS 1.2 CertificateRequest in `stream`.
 *
 * @returns `null` when there is none, otherwise the DER distinguished names it lists.
 */
export function findCertificateRequest12(stream: Uint8Array): Uint8Array[] | null {
  for (const m of plaintextHandshakeMessages(stream)) {
    if (m.type === HANDSHAKE_CERTIFICATE_REQUEST) return parseCertificateAuthorities12(m.body);
  }
  return null;
}

function parseCertificateAuthorities12(body: Uint8Array): Uint8Array[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const names: Uint8Array[] = [];
  try {
    let o = 1 + b[0]!; // certificate_types
    o += 2 + b.readUInt16BE(o); // supported_signature_algorithms
    const end = o + 2 + b.readUInt16BE(o);
    o += 2;
    while (o + 2 <= end && o + 2 <= b.length) {
      const length = b.readUInt16BE(o);
      names.push(new Uint8Array(b.subarray(o + 2, o + 2 + length)));
      o += 2 + length;
    }
  } catch {
    // keep what parsed
  }
  return names;
}

/** @returns the named group of a TLS 1.2 ECDHE ServerKeyExchange in `stream`, or `undefined`. */
export function findServerKeyExchangeGroup(stream: Uint8Array): number | undefined {
  for (const m of plaintextHandshakeMessages(stream)) {
    if (m.type === HANDSHAKE_SERVER_KEY_EXCHANGE && m.body[0] === 3 && m.body.length >= 3)
      return (m.body[1]! << 8) | m.body[2]!;
  }
  return undefined;
}

const GROUP_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0017, "prime256v1"],
  [0x0018, "secp384r1"],
  [0x0019, "secp521r1"],
  [0x001d, "X25519"],
  [0x001e, "X448"],
  [0x0100, "ffdhe2048"],
  [0x0101, "ffdhe3072"],
  [0x0102, "ffdhe4096"],
]);

/** @returns the OpenSSL-style name of a named group (`X25519`, `prime256v1`), or `group(0x…)`. */
export function groupName(group: number): string {
  return GROUP_NAMES.get(group) ?? `group(0x${group.toString(16).padStart(4, "0")})`;
}
