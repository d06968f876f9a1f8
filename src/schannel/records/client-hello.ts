/**
 * ClientHello inspection (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): what a client offers, read from the
 * plaintext handshake records of its first flight, before any engine sees them. A server uses it
 * to choose a credential per connection (SNI, ALPN, versions, groups, signature schemes) before
 * its first AcceptSecurityContext, so the parser is written for hostile input: every read is
 * bounds-checked, nothing throws, and every failure names the alert a TLS stack would send.
 *
 * The handshake reassembly here (one handshake message from one or more records) is shared with
 * `server-hello.ts`.
 *
 * @module
 */
import { HANDSHAKE_CLIENT_HELLO, HANDSHAKE_HEADER_LENGTH } from "./handshake-types.js";
import {
  CONTENT_TYPE_HANDSHAKE,
  MAX_PLAINTEXT_LENGTH,
  RECORD_HEADER_LENGTH,
  splitRecords,
} from "./record-header.js";
import {
  cipherSuiteName,
  contentTypeName,
  extensionTypeName,
  handshakeTypeName,
  isGrease,
  type Named,
  named,
  namedGroupName,
  protocolVersionName,
  signatureSchemeName,
} from "./tls-names.js";

/** Why a hello could not be parsed, or how much of it is still missing. */
export interface HelloParseFailure {
  /** Human-readable reason (`"incomplete: 120 more bytes needed"` when `incomplete`). */
  readonly error: string;
  /** True when the bytes are a valid prefix of a hello that has not fully arrived. */
  readonly incomplete: boolean;
  /** When `incomplete`: a lower bound on the bytes still needed (always > 0). Otherwise 0. */
  readonly missing: number;
  /**
   * The alert a TLS stack sends for this input (`"decode_error"`, `"illegal_parameter"`,
   * `"unexpected_message"`, `"record_overflow"`, `"unrecognized_name"`), or `undefined` when
   * `incomplete` or when the bytes are not TLS at all (no alert is owed to a non-TLS peer).
   */
  readonly alert: string | undefined;
}

/** Everything a ClientHello offers, as plain data. */
export interface ClientHelloInfo {
  /** `legacy_version` (0x0303 for TLS 1.2 and TLS 1.3 clients). */
  readonly legacyVersion: number;
  /**
   * The highest version offered: the highest non-GREASE `supported_versions` entry when the
   * extension is present, otherwise `legacyVersion`.
   */
  readonly highestVersion: number;
  /** The 32-byte client random (a copy). */
  readonly random: Uint8Array;
  /** `legacy_session_id` (0–32 bytes, a copy). */
  readonly sessionId: Uint8Array;
  /** Offered cipher suites in preference order, with IANA names where known. */
  readonly cipherSuites: readonly Named[];
  /** `legacy_compression_methods` (`[0]` for every modern client). */
  readonly compressionMethods: readonly number[];
  /** The first `host_name` of `server_name`, or `undefined` when the client sent no SNI. */
  readonly serverName: string | undefined;
  /** ALPN protocol names in preference order, or `undefined` without the extension. */
  readonly alpnProtocols: readonly string[] | undefined;
  /** `supported_versions` entries, or `undefined` without the extension (a TLS ≤ 1.2 client). */
  readonly supportedVersions: readonly Named[] | undefined;
  /** `supported_groups`, or `undefined` without the extension. */
  readonly supportedGroups: readonly Named[] | undefined;
  /** Groups of the `key_share` entries, in order, or `undefined` without the extension. */
  readonly keyShareGroups: readonly Named[] | undefined;
  /** `signature_algorithms`, or `undefined` without the extension. */
  readonly signatureAlgorithms: readonly Named[] | undefined;
  /** `signature_algorithms_cert`, or `undefined` without the extension. */
  readonly signatureAlgorithmsCert: readonly Named[] | undefined;
  /** True when a `pre_shared_key` extension (TLS 1.3 resumption or external PSK) is present. */
  readonly pskOffered: boolean;
  /** Number of PSK identities offered (0 without `pre_shared_key`). */
  readonly pskIdentities: number;
  /** `psk_key_exchange_modes` (0 psk_ke, 1 psk_dhe_ke), or `undefined` without the extension. */
  readonly pskKeyExchangeModes: readonly number[] | undefined;
  /** True when the `early_data` extension is present (0-RTT data follows). */
  readonly earlyDataOffered: boolean;
  /** True when a non-empty `session_ticket` extension (TLS 1.2 ticket resumption) is present. */
  readonly sessionTicketOffered: boolean;
  /** Every extension type in the order sent, with names where known. */
  readonly extensions: readonly Named[];
  /**
   * Bytes of input covered by the records that carried the ClientHello (the offset just after the
   * record holding its last byte).
   */
  readonly length: number;
}

/** One handshake message reassembled from handshake records. */
export interface ReassembledMessage {
  /** `HandshakeType`. */
  readonly type: number;
  /** The message body (after the 4-byte handshake header), a view into a copy of the input. */
  readonly body: Uint8Array;
  /** Offset just after the record that carried the message's last byte. */
  readonly end: number;
}

/** Largest ClientHello accepted (OpenSSL's `CLIENT_HELLO_MAX_LENGTH`). */
export const CLIENT_HELLO_MAX_LENGTH = 131_396;

/** Thrown inside the parser only; always caught and turned into a {@link HelloParseFailure}. */
class DecodeFailure extends Error {
  constructor(
    message: string,
    readonly alert: string,
  ) {
    super(message);
  }
}

/** Builds a non-incomplete failure. */
export function helloFailure(error: string, alert: string | undefined): HelloParseFailure {
  return { error, incomplete: false, missing: 0, alert };
}

/** Builds an incomplete-input failure; `missing` is clamped to at least 1. */
function incompleteFailure(missing: number): HelloParseFailure {
  const need = Math.max(1, missing);
  return {
    error: `incomplete: at least ${need} more bytes needed`,
    incomplete: true,
    missing: need,
    alert: undefined,
  };
}

/**
 * A bounds-checked big-endian reader over one byte range. Every read past the end throws a
 * {@link DecodeFailure}, which the public parsers catch.
 */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  /** Bytes left before the end of this reader's range. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw new DecodeFailure(
        `${this.what}: ${field} needs ${n} bytes, ${this.remaining} left`,
        "decode_error",
      );
    }
  }

  /** Reads one byte; `field` names it in the error. Throws past the end. */
  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  /** Reads a big-endian uint16. Throws past the end. */
  u16(field: string): number {
    this.need(2, field);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian uint32. Throws past the end. */
  u32(field: string): number {
    this.need(4, field);
    const v =
      this.bytes[this.pos]! * 0x1000000 +
      ((this.bytes[this.pos + 1]! << 16) | (this.bytes[this.pos + 2]! << 8) | this.bytes[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** `n` bytes as a view (not a copy). Throws when fewer remain. */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Everything left, as a view (not a copy). */
  rest(): Uint8Array {
    return this.take(this.remaining, "rest");
  }

  /** A reader over the next `n` bytes; this reader skips them. */
  sub(n: number, field: string): ByteReader {
    this.need(n, field);
    const r = new ByteReader(this.bytes, `${this.what} ${field}`, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** A reader over a vector with a 1-byte length whose length lies in [min, max]. */
  vec8(field: string, min: number, max = 0xff): ByteReader {
    const n = this.u8(`${field} length`);
    checkLength(field, n, min, max);
    return this.sub(n, field);
  }

  /** A reader over a vector with a 2-byte length whose length lies in [min, max]. */
  vec16(field: string, min: number, max = 0xffff): ByteReader {
    const n = this.u16(`${field} length`);
    checkLength(field, n, min, max);
    return this.sub(n, field);
  }

  /** Throws `decode_error` unless this reader's range is fully consumed. */
  done(): void {
    if (this.remaining !== 0) {
      throw new DecodeFailure(`${this.what}: ${this.remaining} trailing bytes`, "decode_error");
    }
  }

  /** Reads the rest as big-endian uint16 values (the range length must be even). */
  u16List(field: string): number[] {
    if (this.remaining % 2 !== 0) throw new DecodeFailure(`${field}: odd length`, "decode_error");
    const out: number[] = [];
    while (this.remaining > 0) out.push(this.u16(field));
    return out;
  }
}

function checkLength(field: string, n: number, min: number, max: number): void {
  if (n < min || n > max) {
    throw new DecodeFailure(`${field}: length ${n} outside ${min}..${max}`, "decode_error");
  }
}

/** Throws a failure with the given alert (for use by the hello parsers). */
export function fail(message: string, alert: string): never {
  throw new DecodeFailure(message, alert);
}

/**
 * Runs a parser body and turns every exception into a {@link HelloParseFailure}: a
 * {@link DecodeFailure} keeps its alert; anything else (which would be a bug) becomes
 * `internal_error`. Never throws.
 */
export function guarded<T>(body: () => T): T | HelloParseFailure {
  try {
    return body();
  } catch (e) {
    if (e instanceof DecodeFailure) return helloFailure(e.message, e.alert);
    return helloFailure(`internal error: ${e instanceof Error ? e.message : String(e)}`, "internal_error");
  }
}

/** Decodes bytes one char per byte (lossless for any input, exact for ASCII). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * Reassembles the first handshake message in `bytes` from consecutive plaintext handshake records
 * starting at offset 0, and checks that it has type `expectedType`.
 *
 * @returns the message, or a failure: `incomplete` (with a lower bound of the bytes missing) when
 *   the records seen so far are a valid prefix; not TLS (no alert) when the first record header
 *   is not a TLS header (an HTTP request, an SSL 2.0 hello); `unexpected_message` for a
 *   non-handshake record before the message is complete, a zero-length handshake fragment, or a
 *   first message of another type; `record_overflow` for a fragment longer than 2^14;
 *   `decode_error` for a message longer than `maxLength`. Never throws.
 */
export function reassembleHandshakeMessage(
  bytes: Uint8Array,
  expectedType: number,
  maxLength: number,
): ReassembledMessage | HelloParseFailure {
  const expected = handshakeTypeName(expectedType) ?? String(expectedType);
  const split = splitRecords(bytes);
  const chunks: Uint8Array[] = [];
  let gathered = 0;
  let need = HANDSHAKE_HEADER_LENGTH;
  let header: Uint8Array | null = null;

  const absorb = (fragment: Uint8Array): HelloParseFailure | null => {
    chunks.push(fragment);
    gathered += fragment.length;
    if (header === null && gathered >= HANDSHAKE_HEADER_LENGTH) {
      header = concat(chunks, HANDSHAKE_HEADER_LENGTH);
      const type = header[0]!;
      if (type !== expectedType) {
        const got = handshakeTypeName(type) ?? `type ${type}`;
        return helloFailure(`first handshake message is ${got}, not ${expected}`, "unexpected_message");
      }
      const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
      if (length > maxLength) {
        return helloFailure(`${expected} of ${length} bytes exceeds ${maxLength}`, "decode_error");
      }
      need = HANDSHAKE_HEADER_LENGTH + length;
    }
    return null;
  };

  for (const record of split.records) {
    const failure = checkHandshakeRecord(record.contentType, record.length - RECORD_HEADER_LENGTH, expected);
    if (failure !== null) return failure;
    const rejected = absorb(
      bytes.subarray(record.offset + RECORD_HEADER_LENGTH, record.offset + record.length),
    );
    if (rejected !== null) return rejected;
    if (gathered >= need) {
      const all = concat(chunks, need);
      return {
        type: expectedType,
        body: all.subarray(HANDSHAKE_HEADER_LENGTH),
        end: record.offset + record.length,
      };
    }
  }

  if (split.error !== undefined) {
    if (split.records.length === 0) return notTls(bytes, split.error);
    return helloFailure(
      `invalid record header after ${split.consumed} bytes: ${split.error}`,
      "decode_error",
    );
  }
  if (bytes.length === split.consumed) {
    // Ended on a record boundary (or empty input): a header and the message's rest are missing.
    return incompleteFailure(RECORD_HEADER_LENGTH + (need - gathered));
  }
  const partialHave = bytes.length - split.consumed;
  if (partialHave < RECORD_HEADER_LENGTH) {
    if (bytes[split.consumed] !== CONTENT_TYPE_HANDSHAKE) {
      return checkHandshakeRecord(bytes[split.consumed]!, 1, expected) ?? incompleteFailure(1);
    }
    return incompleteFailure(RECORD_HEADER_LENGTH - partialHave + (need - gathered));
  }
  // Header complete, fragment partial: look into the available part for the handshake header.
  const fragmentLength = split.missing + partialHave - RECORD_HEADER_LENGTH;
  const failure = checkHandshakeRecord(bytes[split.consumed]!, fragmentLength, expected);
  if (failure !== null) return failure;
  const rejected = absorb(bytes.subarray(split.consumed + RECORD_HEADER_LENGTH));
  if (rejected !== null) return rejected;
  const stillNeeded = need - (gathered - (partialHave - RECORD_HEADER_LENGTH)) - fragmentLength;
  return incompleteFailure(split.missing + (stillNeeded > 0 ? RECORD_HEADER_LENGTH + stillNeeded : 0));
}

/** @returns a failure when a record cannot carry (part of) the expected handshake message. */
function checkHandshakeRecord(
  contentType: number,
  fragmentLength: number,
  expected: string,
): HelloParseFailure | null {
  if (contentType !== CONTENT_TYPE_HANDSHAKE) {
    const got = contentTypeName(contentType) ?? `content type ${contentType}`;
    return helloFailure(`${got} record before the ${expected} was complete`, "unexpected_message");
  }
  if (fragmentLength === 0) return helloFailure("zero-length handshake fragment", "unexpected_message");
  if (fragmentLength > MAX_PLAINTEXT_LENGTH) {
    return helloFailure(`handshake fragment of ${fragmentLength} bytes exceeds 2^14`, "record_overflow");
  }
  return null;
}

function notTls(bytes: Uint8Array, reason: string): HelloParseFailure {
  const first = bytes[0]!;
  if ((first & 0x80) !== 0 && bytes.length >= 3 && bytes[2] === HANDSHAKE_CLIENT_HELLO) {
    return helloFailure("SSL 2.0 compatible ClientHello is not supported", undefined);
  }
  const hex = first.toString(16).padStart(2, "0");
  return helloFailure(`not a TLS record (${reason}, first byte 0x${hex})`, undefined);
}

/** Concatenates the first `n` bytes of `chunks` into a new array. */
function concat(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    if (at >= n) break;
    const part = c.subarray(0, n - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Parses the ClientHello at the start of a client's first flight: one or more plaintext handshake
 * records (the ClientHello may span several; they are reassembled). Bytes after the record that
 * completes the ClientHello are ignored (`length` says where it ended).
 *
 * @returns the offer as plain data ({@link ClientHelloInfo}), or a {@link HelloParseFailure}:
 *   - `incomplete: true` with `missing` (a lower bound, > 0) when the input is a valid prefix;
 *   - not TLS (`alert` undefined) when the first bytes are not a TLS record header;
 *   - `unexpected_message` for a non-handshake record, a zero-length fragment, or a first
 *     handshake message that is not a ClientHello;
 *   - `record_overflow` for a handshake fragment longer than 2^14;
 *   - `decode_error` for any length that does not fit (vectors, a session id over 32 bytes, an odd
 *     cipher suite list, trailing bytes in the body or in an extension, a message over
 *     {@link CLIENT_HELLO_MAX_LENGTH}), a non-empty `early_data`, or an empty ALPN name;
 *   - `illegal_parameter` for a duplicated extension, `pre_shared_key` not last, or two key
 *     shares for one group;
 *   - `unrecognized_name` for a host name containing a zero byte or longer than 255 bytes.
 *   Never throws, whatever the input.
 */
export function parseClientHello(bytes: Uint8Array): ClientHelloInfo | HelloParseFailure {
  return guarded(() => {
    const message = reassembleHandshakeMessage(bytes, HANDSHAKE_CLIENT_HELLO, CLIENT_HELLO_MAX_LENGTH);
    if ("error" in message) return message;
    return parseClientHelloBody(message.body, message.end);
  });
}

/** Parses a ClientHello body (after the 4-byte handshake header). Throws {@link DecodeFailure}. */
function parseClientHelloBody(body: Uint8Array, end: number): ClientHelloInfo {
  const r = new ByteReader(body, "ClientHello");
  const legacyVersion = r.u16("legacy_version");
  const random = r.take(32, "random").slice();
  const sessionId = r.vec8("legacy_session_id", 0, 32).rest().slice();
  const suites = r.vec16("cipher_suites", 2, 0xfffe).u16List("cipher_suites");
  const compression = r.vec8("legacy_compression_methods", 1);
  const compressionMethods = Array.from(compression.rest());

  const info = {
    legacyVersion,
    highestVersion: legacyVersion,
    random,
    sessionId,
    cipherSuites: suites.map((id) => named(id, cipherSuiteName)),
    compressionMethods,
    serverName: undefined as string | undefined,
    alpnProtocols: undefined as string[] | undefined,
    supportedVersions: undefined as Named[] | undefined,
    supportedGroups: undefined as Named[] | undefined,
    keyShareGroups: undefined as Named[] | undefined,
    signatureAlgorithms: undefined as Named[] | undefined,
    signatureAlgorithmsCert: undefined as Named[] | undefined,
    pskOffered: false,
    pskIdentities: 0,
    pskKeyExchangeModes: undefined as number[] | undefined,
    earlyDataOffered: false,
    sessionTicketOffered: false,
    extensions: [] as Named[],
    length: end,
  };

  if (r.remaining === 0) return info; // TLS ≤ 1.2 clients may omit the extensions block.
  const extensions = r.vec16("extensions", 0);
  r.done();
  const seen = new Set<number>();
  while (extensions.remaining > 0) {
    const type = extensions.u16("extension_type");
    const data = extensions.vec16(`extension ${extensionTypeName(type) ?? type}`, 0);
    if (seen.has(type)) fail(`duplicate extension ${extensionTypeName(type) ?? type}`, "illegal_parameter");
    seen.add(type);
    info.extensions.push(named(type, extensionTypeName));
    if (type === EXT_PRE_SHARED_KEY && extensions.remaining > 0) {
      fail("pre_shared_key is not the last extension", "illegal_parameter");
    }
    readClientExtension(type, data, info);
    data.done();
  }
  if (info.supportedVersions !== undefined) {
    const real = info.supportedVersions.map((v) => v.id).filter((v) => !isGrease(v));
    if (real.length > 0) info.highestVersion = Math.max(...real);
  }
  return info;
}

const EXT_SERVER_NAME = 0;
/** `NameType.host_name`. */
const HOST_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_SESSION_TICKET = 35;
const EXT_PRE_SHARED_KEY = 41;
const EXT_EARLY_DATA = 42;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_PSK_KEY_EXCHANGE_MODES = 45;
const EXT_SIGNATURE_ALGORITHMS_CERT = 50;
const EXT_KEY_SHARE = 51;

interface MutableClientInfo {
  serverName: string | undefined;
  alpnProtocols: string[] | undefined;
  supportedVersions: Named[] | undefined;
  supportedGroups: Named[] | undefined;
  keyShareGroups: Named[] | undefined;
  signatureAlgorithms: Named[] | undefined;
  signatureAlgorithmsCert: Named[] | undefined;
  pskOffered: boolean;
  pskIdentities: number;
  pskKeyExchangeModes: number[] | undefined;
  earlyDataOffered: boolean;
  sessionTicketOffered: boolean;
}

/** Reads one ClientHello extension's data into `info`; the caller checks it was fully consumed. */
function readClientExtension(type: number, data: ByteReader, info: MutableClientInfo): void {
  switch (type) {
    case EXT_SERVER_NAME:
      info.serverName = readServerName(data);
      return;
    case EXT_ALPN:
      info.alpnProtocols = readProtocolNameList(data);
      return;
    case EXT_SUPPORTED_VERSIONS:
      info.supportedVersions = data
        .vec8("supported_versions", 2, 254)
        .u16List("supported_versions")
        .map((v) => named(v, protocolVersionName));
      return;
    case EXT_SUPPORTED_GROUPS:
      info.supportedGroups = data
        .vec16("supported_groups", 2)
        .u16List("supported_groups")
        .map((g) => named(g, namedGroupName));
      return;
    case EXT_SIGNATURE_ALGORITHMS:
      info.signatureAlgorithms = readSchemes(data, "signature_algorithms");
      return;
    case EXT_SIGNATURE_ALGORITHMS_CERT:
      info.signatureAlgorithmsCert = readSchemes(data, "signature_algorithms_cert");
      return;
    case EXT_KEY_SHARE:
      info.keyShareGroups = readKeyShareGroups(data);
      return;
    case EXT_PRE_SHARED_KEY:
      info.pskOffered = true;
      info.pskIdentities = readOfferedPsks(data);
      return;
    case EXT_PSK_KEY_EXCHANGE_MODES: {
      const modes = data.vec8("psk_key_exchange_modes", 1);
      info.pskKeyExchangeModes = Array.from(modes.rest());
      return;
    }
    case EXT_EARLY_DATA:
      if (data.remaining !== 0) fail("early_data in ClientHello must be empty", "decode_error");
      info.earlyDataOffered = true;
      return;
    case EXT_SESSION_TICKET:
      info.sessionTicketOffered = data.remaining > 0;
      data.rest();
      return;
    default:
      data.rest(); // Unparsed extensions are only listed.
  }
}

/**
 * `ServerNameList` (RFC 6066 §3): the first `host_name` entry. Like OpenSSL, a host name with a
 * zero byte or longer than 255 bytes gets `unrecognized_name`.
 */
function readServerName(data: ByteReader): string | undefined {
  const list = data.vec16("server_name_list", 1);
  let host: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8("name_type");
    const name = list.vec16("host_name", 1).rest();
    if (nameType !== HOST_NAME || host !== undefined) continue;
    if (name.length > 255) fail(`host name of ${name.length} bytes`, "unrecognized_name");
    if (name.includes(0)) fail("host name contains a zero byte", "unrecognized_name");
    host = latin1(name);
  }
  return host;
}

/** `ProtocolNameList` (RFC 7301 §3.1). */
function readProtocolNameList(data: ByteReader): string[] {
  const list = data.vec16("protocol_name_list", 2);
  const out: string[] = [];
  while (list.remaining > 0) {
    const name = list.vec8("protocol_name", 1);
    out.push(latin1(name.rest()));
  }
  return out;
}

function readSchemes(data: ByteReader, field: string): Named[] {
  return data
    .vec16(field, 2, 0xfffe)
    .u16List(field)
    .map((s) => named(s, signatureSchemeName));
}

/** `KeyShareClientHello.client_shares`: the groups, rejecting a group offered twice. */
function readKeyShareGroups(data: ByteReader): Named[] {
  const shares = data.vec16("client_shares", 0);
  const groups: Named[] = [];
  const seen = new Set<number>();
  while (shares.remaining > 0) {
    const group = shares.u16("group");
    shares.vec16("key_exchange", 1);
    if (seen.has(group))
      fail(`two key shares for group ${namedGroupName(group) ?? group}`, "illegal_parameter");
    seen.add(group);
    groups.push(named(group, namedGroupName));
  }
  return groups;
}

/** `OfferedPsks` (RFC 8446 §4.2.11): validates identities and binders, returns the identity count. */
function readOfferedPsks(data: ByteReader): number {
  const identities = data.vec16("identities", 7);
  let count = 0;
  while (identities.remaining > 0) {
    identities.vec16("identity", 1);
    identities.u32("obfuscated_ticket_age");
    count++;
  }
  const binders = data.vec16("binders", 33);
  let binderCount = 0;
  while (binders.remaining > 0) {
    binders.vec8("binder", 32);
    binderCount++;
  }
  if (binderCount !== count) fail(`${count} PSK identities but ${binderCount} binders`, "illegal_parameter");
  return count;
}
