/**
 * ServerHello inspection (RFC 8446 §4.1.3/§4.1.4, RFC 5246 §7.4.1.3): what a server selected,
 * read from the plaintext records of its first flight, and the server random that the TLS 1.2
 * direct record layer needs for its key block (no Node API returns it).
 *
 * @module
 */
import {
  ByteReader,
  guarded,
  type HelloParseFailure,
  latin1,
  parseHandshakeMessage,
  readExtensions,
} from "./handshake-reader.js";
import { HANDSHAKE_HEADER_LENGTH, HANDSHAKE_SERVER_HELLO } from "./handshake-types.js";
import {
  CONTENT_TYPE_CHANGE_CIPHER_SPEC,
  CONTENT_TYPE_HANDSHAKE,
  RECORD_HEADER_LENGTH,
  splitRecords,
} from "./record-header.js";
import { cipherSuiteName, type Named, named, namedGroupName, protocolVersionName } from "./tls-names.js";

/** The special ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2,
  0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/** Largest ServerHello accepted (OpenSSL's `SERVER_HELLO_MAX_LENGTH`). */
export const SERVER_HELLO_MAX_LENGTH = 20_000;

const RANDOM_LENGTH = 32;
/** "DOWNGRD" (RFC 8446 §4.1.3), followed by 0x01 (TLS 1.2) or 0x00 (TLS 1.1 and below). */
const DOWNGRADE_PREFIX = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44];

/** What a ServerHello (or HelloRetryRequest) selected, as plain data. */
export interface ServerHelloInfo {
  /** `legacy_version` (0x0303 for TLS 1.2 and TLS 1.3 servers). */
  readonly legacyVersion: number;
  /** The negotiated version: `supported_versions.selected_version` if present, else `legacyVersion`. */
  readonly version: Named;
  /** The 32-byte server random (a copy). For a HelloRetryRequest, {@link HELLO_RETRY_REQUEST_RANDOM}. */
  readonly random: Uint8Array;
  /** `legacy_session_id_echo` (0–32 bytes, a copy). */
  readonly sessionId: Uint8Array;
  /** The selected cipher suite. */
  readonly cipherSuite: Named;
  /** The selected compression method (0). */
  readonly compressionMethod: number;
  /** True when this is a HelloRetryRequest (the random is {@link HELLO_RETRY_REQUEST_RANDOM}). */
  readonly helloRetryRequest: boolean;
  /**
   * The `key_share` group: the server's share group in a ServerHello, the group it asks for in a
   * HelloRetryRequest; `undefined` without the extension (TLS 1.2, or PSK-only resumption).
   */
  readonly selectedGroup: Named | undefined;
  /** The ALPN protocol selected in the ServerHello (TLS 1.2; TLS 1.3 puts it in EncryptedExtensions). */
  readonly alpnProtocol: string | undefined;
  /** `pre_shared_key.selected_identity` when the server accepted a PSK, else `undefined`. */
  readonly selectedPskIdentity: number | undefined;
  /** True when a HelloRetryRequest carries a `cookie`. */
  readonly cookie: boolean;
  /**
   * The RFC 8446 §4.1.3 downgrade sentinel in the last 8 bytes of the random: `"tls12"` (a TLS 1.3
   * server negotiating TLS 1.2), `"tls11"` (TLS 1.1 or below), or `undefined`.
   */
  readonly downgradeSentinel: "tls12" | "tls11" | undefined;
  /** Every extension type in the order sent, with names where known. */
  readonly extensions: readonly Named[];
  /** Offset just after the record that carried the ServerHello's last byte. */
  readonly length: number;
}

/**
 * Parses the ServerHello (or HelloRetryRequest) at the start of a server's first flight: one or
 * more plaintext handshake records (reassembled). Later messages and records (Certificate,
 * ChangeCipherSpec, encrypted records) are ignored.
 *
 * @returns the selection as plain data ({@link ServerHelloInfo}), or a {@link HelloParseFailure}:
 *   - `incomplete: true` with `missing` (a lower bound, > 0) when the input is a valid prefix;
 *   - not TLS (`alert` undefined) when the first bytes are not a TLS record header;
 *   - `unexpected_message` when the first record is not a handshake record (an alert from the
 *     server, for instance) or the first handshake message is not a ServerHello;
 *   - `record_overflow` for a handshake fragment longer than 2^14;
 *   - `decode_error` for a length that does not fit, trailing bytes, a session id over 32 bytes,
 *     or a message over {@link SERVER_HELLO_MAX_LENGTH};
 *   - `illegal_parameter` for a duplicated extension.
 *   Never throws, whatever the input.
 */
export function parseServerHello(bytes: Uint8Array): ServerHelloInfo | HelloParseFailure {
  return parseHandshakeMessage(bytes, HANDSHAKE_SERVER_HELLO, SERVER_HELLO_MAX_LENGTH, parseServerHelloBody);
}

/** Parses a ServerHello body (after the 4-byte handshake header). Throws inside {@link guarded}. */
function parseServerHelloBody(body: Uint8Array, end: number): ServerHelloInfo {
  const r = new ByteReader(body, "ServerHello");
  const legacyVersion = r.u16("legacy_version");
  const random = r.take(RANDOM_LENGTH, "random").slice();
  const sessionId = r.vec8("legacy_session_id_echo", 0, 32).rest().slice();
  const cipherSuite = named(r.u16("cipher_suite"), cipherSuiteName);
  const compressionMethod = r.u8("legacy_compression_method");
  const helloRetryRequest = equalBytes(random, HELLO_RETRY_REQUEST_RANDOM);

  let selectedVersion: number | undefined;
  let selectedGroup: Named | undefined;
  let alpnProtocol: string | undefined;
  let selectedPskIdentity: number | undefined;
  let cookie = false;
  let extensionList: Named[] = [];

  if (r.remaining > 0) {
    extensionList = readExtensions(r, (type, data) => {
      switch (type) {
        case EXT_SUPPORTED_VERSIONS:
          selectedVersion = data.u16("selected_version");
          break;
        case EXT_KEY_SHARE:
          selectedGroup = named(data.u16("group"), namedGroupName);
          if (!helloRetryRequest) data.vec16("key_exchange", 1);
          break;
        case EXT_ALPN: {
          const list = data.vec16("protocol_name_list", 2);
          alpnProtocol = latin1(list.vec8("protocol_name", 1).rest());
          list.done();
          break;
        }
        case EXT_PRE_SHARED_KEY:
          selectedPskIdentity = data.u16("selected_identity");
          break;
        case EXT_COOKIE:
          data.vec16("cookie", 1);
          cookie = true;
          break;
        default:
          data.rest();
      }
    });
  }

  return {
    legacyVersion,
    version: named(selectedVersion ?? legacyVersion, protocolVersionName),
    random,
    sessionId,
    cipherSuite,
    compressionMethod,
    helloRetryRequest,
    selectedGroup,
    alpnProtocol,
    selectedPskIdentity,
    cookie,
    downgradeSentinel: helloRetryRequest ? undefined : downgradeSentinel(random),
    extensions: extensionList,
    length: end,
  };
}

const EXT_ALPN = 16;
const EXT_PRE_SHARED_KEY = 41;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_COOKIE = 44;
const EXT_KEY_SHARE = 51;

function downgradeSentinel(random: Uint8Array): "tls12" | "tls11" | undefined {
  for (let i = 0; i < DOWNGRADE_PREFIX.length; i++) {
    if (random[24 + i] !== DOWNGRADE_PREFIX[i]) return undefined;
  }
  if (random[31] === 1) return "tls12";
  if (random[31] === 0) return "tls11";
  return undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Finds the server random in handshake tokens (one token, or several concatenated in order):
 * walks the complete records, reassembles the plaintext handshake stream (messages may span
 * records, several may share one), and returns the random of the first ServerHello that is not a
 * HelloRetryRequest.
 *
 * Handshake records after a ChangeCipherSpec are encrypted in TLS 1.2, so the scan stops at the
 * first ChangeCipherSpec unless a HelloRetryRequest came before it (TLS 1.3: the real ServerHello
 * follows in plaintext). Alerts and application-data records are skipped.
 *
 * @returns a copy of the 32-byte server random, or `undefined` when no complete ServerHello is
 *   found before the end of the complete records, an invalid record header, the stopping
 *   ChangeCipherSpec, or a ServerHello too short to hold a random. Never throws.
 */
export function findServerRandom(tokens: Uint8Array): Uint8Array | undefined {
  return findServerHelloMessage(tokens)?.body.slice(2, 2 + RANDOM_LENGTH);
}

/**
 * Finds the ServerHello in handshake tokens as {@link findServerRandom} does (the first one that
 * is not a HelloRetryRequest, scanning up to the first ChangeCipherSpec unless a
 * HelloRetryRequest came before it) and parses it.
 *
 * @returns what the server selected ({@link ServerHelloInfo}; `length` is the offset just after
 *   the record that carried its last byte), or `undefined` when {@link findServerRandom} finds no
 *   random or the ServerHello does not parse. Never throws.
 */
export function findServerHello(tokens: Uint8Array): ServerHelloInfo | undefined {
  const message = findServerHelloMessage(tokens);
  if (message === undefined) return undefined;
  const info = guarded(() => parseServerHelloBody(message.body, message.end));
  return "error" in info ? undefined : info;
}

/**
 * The walk behind {@link findServerRandom} and {@link findServerHello}.
 *
 * @returns the body of the first complete ServerHello that is not a HelloRetryRequest and the
 *   offset just after the record holding its last byte, or `undefined`. Never throws.
 */
function findServerHelloMessage(tokens: Uint8Array): { body: Uint8Array; end: number } | undefined {
  try {
    const { records } = splitRecords(tokens);
    let stream: Uint8Array = new Uint8Array(0);
    let sawHelloRetryRequest = false;
    for (const record of records) {
      if (record.contentType === CONTENT_TYPE_CHANGE_CIPHER_SPEC) {
        if (!sawHelloRetryRequest) return undefined;
        stream = new Uint8Array(0);
        continue;
      }
      if (record.contentType !== CONTENT_TYPE_HANDSHAKE) continue;
      const fragment = tokens.subarray(record.offset + RECORD_HEADER_LENGTH, record.offset + record.length);
      stream = appendBytes(stream, fragment);
      let at = 0;
      while (stream.length - at >= HANDSHAKE_HEADER_LENGTH) {
        const type = stream[at]!;
        const length = (stream[at + 1]! << 16) | (stream[at + 2]! << 8) | stream[at + 3]!;
        if (stream.length - at - HANDSHAKE_HEADER_LENGTH < length) break;
        if (type === HANDSHAKE_SERVER_HELLO) {
          if (length < 2 + RANDOM_LENGTH) return undefined;
          const body = stream.subarray(at + HANDSHAKE_HEADER_LENGTH, at + HANDSHAKE_HEADER_LENGTH + length);
          if (!equalBytes(body.subarray(2, 2 + RANDOM_LENGTH), HELLO_RETRY_REQUEST_RANDOM)) {
            return { body, end: record.offset + record.length };
          }
          sawHelloRetryRequest = true;
        }
        at += HANDSHAKE_HEADER_LENGTH + length;
      }
      stream = stream.slice(at);
    }
    return undefined;
  } catch {
    return undefined;
  }
}

function appendBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
