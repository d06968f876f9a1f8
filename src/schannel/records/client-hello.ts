/**
 * ClientHello inspection (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): what a client offers, read from the
 * plaintext handshake records of its first flight, before any engine sees them. A server uses it
 * to choose a credential per connection (SNI, ALPN, versions, groups, signature schemes) before
 * its first AcceptSecurityContext, so the parser is written for hostile input: every read is
 * bounds-checked, nothing throws, and every failure names the alert a TLS stack would send.
 *
 * Reading and reassembly are in `handshake-reader.ts`, shared with `server-hello.ts`.
 *
 * @module
 */
import {
  ByteReader,
  fail,
  type HelloParseFailure,
  latin1,
  parseHandshakeMessage,
  readExtensions,
} from "./handshake-reader.js";
import { HANDSHAKE_CLIENT_HELLO } from "./handshake-types.js";
import {
  cipherSuiteName,
  isGrease,
  type Named,
  named,
  namedGroupName,
  protocolVersionName,
  signatureSchemeName,
} from "./tls-names.js";

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

/** Largest ClientHello accepted (OpenSSL's `CLIENT_HELLO_MAX_LENGTH`). */
export const CLIENT_HELLO_MAX_LENGTH = 131_396;

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
  return parseHandshakeMessage(bytes, HANDSHAKE_CLIENT_HELLO, CLIENT_HELLO_MAX_LENGTH, parseClientHelloBody);
}

/** Parses a ClientHello body (after the 4-byte handshake header). Throws; see `parseHandshakeMessage`. */
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
  info.extensions = readExtensions(r, (type, data, last) => {
    if (type === EXT_PRE_SHARED_KEY && !last) {
      fail("pre_shared_key is not the last extension", "illegal_parameter");
    }
    readClientExtension(type, data, info);
  });
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
