/**
 * The small part of the TLS key schedule the direct record layer needs, on `node:crypto` HMAC and
 * hashes: HKDF-Expand (RFC 5869 §2.3), HKDF-Expand-Label (RFC 8446 §7.1), traffic keys and the
 * KeyUpdate ratchet (RFC 8446 §7.2–7.3), the TLS 1.2 PRF and key block (RFC 5246 §5, §6.3), and
 * the keying-material exporters (RFC 5705 for TLS 1.2, RFC 8446 §7.5 for TLS 1.3).
 *
 * `crypto.hkdfSync` does not fit: it always runs HKDF-Extract first, and TLS 1.3 expands secrets
 * that are already pseudorandom keys.
 *
 * Functions here take the secrets they are given and never keep them; they return fresh buffers
 * that the caller owns (and should zero with `fill(0)` when done).
 *
 * @module
 */
import { createHash, createHmac } from "node:crypto";
import type { CipherSuite, SuiteHash } from "../../../src/schannel/cipher-suites.js";

const HASH_LENGTH: Record<SuiteHash, number> = { sha256: 32, sha384: 48 };
const LABEL_PREFIX = Buffer.from("tls13 ", "latin1");
const EMPTY = new Uint8Array(0);

/**
 * HKDF-Expand (RFC 5869 §2.3): `T(1) | T(2) | …` with `T(i) = HMAC(prk, T(i-1) | info | i)`.
 *
 * @param hash - the HMAC hash.
 * @param prk - the pseudorandom key (a TLS 1.3 secret).
 * @param info - context and application specific information.
 * @param length - output length, at most 255 × hash length.
 * @returns `length` bytes of output keying material.
 * @throws RangeError when `length` exceeds 255 × hash length (a caller bug, never peer input).
 */
export function hkdfExpand(hash: SuiteHash, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const hashLength = HASH_LENGTH[hash];
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLength) {
    throw new RangeError(`HKDF-Expand length ${length} out of range`);
  }
  const out = Buffer.allocUnsafe(length);
  let previous: Buffer = Buffer.alloc(0);
  let offset = 0;
  for (let i = 1; offset < length; i++) {
    const hmac = createHmac(hash, prk);
    hmac.update(previous);
    hmac.update(info);
    hmac.update(Uint8Array.of(i));
    const block = hmac.digest();
    previous.fill(0);
    previous = block;
    offset += block.copy(out, offset);
  }
  previous.fill(0);
  return out;
}

/**
 * HKDF-Expand-Label (RFC 8446 §7.1): HKDF-Expand(secret, HkdfLabel, length) with
 * `HkdfLabel = uint16 length | opaque label<7..255> = "tls13 " + label | opaque context<0..255>`.
 *
 * @param label - the label without the `"tls13 "` prefix (`"key"`, `"iv"`, `"traffic upd"`).
 * @param context - the context (a transcript hash, or empty).
 * @returns `length` bytes.
 * @throws RangeError when the label or context is longer than the encoding allows, or `length` is
 *   out of HKDF range (caller bugs).
 */
export function hkdfExpandLabel(
  hash: SuiteHash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  const labelBytes = Buffer.from(label, "latin1");
  const fullLabelLength = LABEL_PREFIX.length + labelBytes.length;
  if (fullLabelLength > 255 || context.length > 255 || length > 0xffff) {
    throw new RangeError("HKDF-Expand-Label: label, context or length too long");
  }
  const info = Buffer.allocUnsafe(2 + 1 + fullLabelLength + 1 + context.length);
  info.writeUInt16BE(length, 0);
  info[2] = fullLabelLength;
  LABEL_PREFIX.copy(info, 3);
  labelBytes.copy(info, 3 + LABEL_PREFIX.length);
  info[3 + fullLabelLength] = context.length;
  info.set(context, 4 + fullLabelLength);
  return hkdfExpand(hash, secret, info, length);
}

/** AEAD key and IV (TLS 1.3: full 12-byte IV; TLS 1.2: the suite's fixed IV / salt). */
export interface TrafficKeys {
  readonly key: Buffer;
  readonly iv: Buffer;
}

/**
 * The TLS 1.3 traffic key and IV for one direction (RFC 8446 §7.3):
 * `key = HKDF-Expand-Label(secret, "key", "", Nk)`, `iv = HKDF-Expand-Label(secret, "iv", "", 12)`.
 *
 * @param secret - a traffic secret (`CLIENT_TRAFFIC_SECRET_0`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`, …).
 * @returns fresh key and IV buffers.
 * @throws RangeError when `secret` does not have the suite's hash length.
 */
export function tls13TrafficKeys(suite: CipherSuite, secret: Uint8Array): TrafficKeys {
  checkSecretLength(suite, secret);
  return {
    key: hkdfExpandLabel(suite.hash, secret, "key", EMPTY, suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, "iv", EMPTY, 12),
  };
}

/**
 * The next application traffic secret (RFC 8446 §7.2, KeyUpdate):
 * `application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)`.
 *
 * @returns the new secret (a fresh buffer; the old one is not modified).
 * @throws RangeError when `secret` does not have the suite's hash length.
 */
export function nextTrafficSecret(suite: CipherSuite, secret: Uint8Array): Buffer {
  checkSecretLength(suite, secret);
  return hkdfExpandLabel(suite.hash, secret, "traffic upd", EMPTY, suite.hashLength);
}

/**
 * The TLS 1.2 PRF (RFC 5246 §5): `PRF(secret, label, seed) = P_hash(secret, label + seed)` with
 * `P_hash = HMAC(secret, A(1) + seed') | HMAC(secret, A(2) + seed') | …`, `A(0) = seed'`,
 * `A(i) = HMAC(secret, A(i-1))`.
 *
 * @param hash - the suite's PRF hash (SHA-256 for every suite except the `_SHA384` ones).
 * @param label - ASCII label (`"key expansion"`, `"master secret"`, an exporter label).
 * @returns `length` bytes.
 */
export function tls12Prf(
  hash: SuiteHash,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, "latin1"), seed]);
  const out = Buffer.allocUnsafe(length);
  let a: Buffer = labelSeed;
  let offset = 0;
  while (offset < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    offset += block.copy(out, offset);
    block.fill(0);
  }
  a.fill(0);
  return out;
}

/** TLS 1.2 AEAD keys for both directions, from the key block. */
export interface Tls12KeyBlock {
  readonly clientWriteKey: Buffer;
  readonly serverWriteKey: Buffer;
  /** 4-byte salt for GCM, 12-byte IV for ChaCha20-Poly1305. */
  readonly clientWriteIv: Buffer;
  readonly serverWriteIv: Buffer;
}

/**
 * The TLS 1.2 key block (RFC 5246 §6.3) for an AEAD suite:
 * `key_block = PRF(master_secret, "key expansion", server_random + client_random)`, split into
 * client_write_key | server_write_key | client_write_IV | server_write_IV (AEAD suites have no MAC
 * keys).
 *
 * @param masterSecret - the 48-byte master secret (the extended one when EMS was negotiated, as the
 *   `CLIENT_RANDOM` keylog line gives it).
 * @returns fresh key/IV buffers.
 * @throws RangeError when the suite is not a TLS 1.2 suite or an input has the wrong length.
 */
export function tls12KeyBlock(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Tls12KeyBlock {
  if (suite.version !== "TLSv1.2") throw new RangeError(`${suite.ianaName} is not a TLS 1.2 suite`);
  if (masterSecret.length !== 48) throw new RangeError("TLS 1.2 master secret must be 48 bytes");
  if (clientRandom.length !== 32 || serverRandom.length !== 32)
    throw new RangeError("randoms must be 32 bytes");
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const seed = Buffer.concat([serverRandom, clientRandom]);
  const block = tls12Prf(suite.hash, masterSecret, "key expansion", seed, 2 * k + 2 * iv);
  const result = {
    clientWriteKey: Buffer.from(block.subarray(0, k)),
    serverWriteKey: Buffer.from(block.subarray(k, 2 * k)),
    clientWriteIv: Buffer.from(block.subarray(2 * k, 2 * k + iv)),
    serverWriteIv: Buffer.from(block.subarray(2 * k + iv, 2 * k + 2 * iv)),
  };
  block.fill(0);
  return result;
}

/**
 * The TLS 1.2 keying-material exporter (RFC 5705 §4):
 * `PRF(master_secret, label, client_random + server_random [+ uint16 context_length + context])`.
 * A missing context (`null`) and an empty context give different outputs, as in OpenSSL's
 * `SSL_export_keying_material(use_context)` and Node's `exportKeyingMaterial(length, label[, context])`.
 *
 * @returns `length` bytes.
 * @throws RangeError when the context is longer than 65535 bytes.
 */
export function tls12Exporter(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
  context: Uint8Array | null,
  length: number,
): Buffer {
  const parts: Uint8Array[] = [clientRandom, serverRandom];
  if (context !== null) {
    if (context.length > 0xffff) throw new RangeError("exporter context too long");
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(context.length, 0);
    parts.push(len, context);
  }
  return tls12Prf(suite.hash, masterSecret, label, Buffer.concat(parts), length);
}

/**
 * The TLS 1.3 exporter (RFC 8446 §7.5):
 * `HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""), "exporter", Hash(context), length)`.
 * In TLS 1.3 a missing context is the same as an empty one (`null` is accepted for symmetry with
 * {@link tls12Exporter}).
 *
 * @param exporterMasterSecret - the `EXPORTER_SECRET` keylog value.
 * @returns `length` bytes.
 * @throws RangeError when the label is longer than 249 bytes, or the secret length is wrong.
 */
export function tls13Exporter(
  suite: CipherSuite,
  exporterMasterSecret: Uint8Array,
  label: string,
  context: Uint8Array | null,
  length: number,
): Buffer {
  checkSecretLength(suite, exporterMasterSecret);
  const emptyHash = createHash(suite.hash).digest();
  const derived = hkdfExpandLabel(suite.hash, exporterMasterSecret, label, emptyHash, suite.hashLength);
  const contextHash = createHash(suite.hash)
    .update(context ?? EMPTY)
    .digest();
  const out = hkdfExpandLabel(suite.hash, derived, "exporter", contextHash, length);
  derived.fill(0);
  return out;
}

function checkSecretLength(suite: CipherSuite, secret: Uint8Array): void {
  if (secret.length !== suite.hashLength) {
    throw new RangeError(`${suite.ianaName}: secret must be ${suite.hashLength} bytes, got ${secret.length}`);
  }
}
