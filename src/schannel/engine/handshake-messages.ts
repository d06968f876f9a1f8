/**
 * Reading the few plaintext handshake messages the engine needs from the tokens it carried: the
 * TLS 1.2 CertificateRequest (acceptable issuers) and the TLS 1.2 ServerKeyExchange (group on the
 * server side). The ServerHello (server random, version, suite, key share group: no Node API
 * returns the server random) is read with `findServerHello` from `records/server-hello.ts`.
 *
 * Parsing is lenient: it stops at the first malformed message, which is where TLS 1.2 encrypted
 * Finished messages (also content type 22) begin.
 *
 * @module
 */
import { HANDSHAKE_CERTIFICATE_REQUEST, HANDSHAKE_SERVER_KEY_EXCHANGE } from "../records/handshake-types.js";
import { CONTENT_TYPE_HANDSHAKE, RECORD_HEADER_LENGTH, splitRecords } from "../records/record-header.js";

/** A handshake message: type and body. */
export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
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
  // OpenSSL 3.5's post-quantum groups have no NID: the native engine reports their codepoint.
  [0x0200, "MLKEM512"],
  [0x0201, "MLKEM768"],
  [0x0202, "MLKEM1024"],
  [0x11eb, "SecP256r1MLKEM768"],
  [0x11ec, "X25519MLKEM768"],
  [0x11ed, "SecP384r1MLKEM1024"],
]);

/** @returns the OpenSSL-style name of a named group (`X25519`, `prime256v1`), or `group(0x…)`. */
export function groupName(group: number): string {
  return GROUP_NAMES.get(group) ?? `group(0x${group.toString(16).padStart(4, "0")})`;
}
