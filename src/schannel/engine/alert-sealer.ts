/**
 * Minimal AEAD record sealing and opening for the few records the engine must protect itself:
 * the alerts it sends when a check decided in JavaScript fails (untrusted certificate, wrong name,
 * rejected client certificate) after encryption is already in place, and reading the TLS 1.3
 * server flight to see whether a CertificateRequest was sent.
 *
 * The key schedule (HKDF-Expand-Label, TLS 1.2 key block) comes from the direct record layer's
 * `record/key-schedule.ts`; this file only frames records (RFC 8446 §5.2, RFC 5288 §3, RFC 7905 §2)
 * and will be replaced by the record layer's `RecordProtection` once it exists.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import type { CipherSuite } from "../record/cipher-suites.js";
import { tls12KeyBlock, tls13TrafficKeys } from "../record/key-schedule.js";
import { CONTENT_TYPE_APPLICATION_DATA, RECORD_HEADER_LENGTH } from "../records/record-header.js";

/** Keys for one direction of one epoch. */
export interface SealingKeys {
  readonly suite: CipherSuite;
  readonly key: Buffer;
  /** TLS 1.3 / ChaCha20: 12-byte IV; TLS 1.2 GCM: 4-byte salt. */
  readonly iv: Buffer;
}

const TAG_LENGTH = 16;

/** @returns the keys of a TLS 1.3 traffic secret (handshake or application). */
export function tls13SealingKeys(suite: CipherSuite, secret: Uint8Array): SealingKeys {
  const { key, iv } = tls13TrafficKeys(suite, secret);
  return { suite, key, iv };
}

/** @returns the TLS 1.2 write keys of `writer` from the key block. */
export function tls12SealingKeys(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  writer: "client" | "server",
): SealingKeys {
  const block = tls12KeyBlock(suite, masterSecret, clientRandom, serverRandom);
  return writer === "client"
    ? { suite, key: block.clientWriteKey, iv: block.clientWriteIv }
    : { suite, key: block.serverWriteKey, iv: block.serverWriteIv };
}

function sequenceBytes(seq: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(seq));
  return b;
}

function xorNonce(iv: Buffer, seq: number): Buffer {
  const nonce = Buffer.from(iv);
  const s = sequenceBytes(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= s[i]!;
  return nonce;
}

function cipher(keys: SealingKeys, nonce: Buffer) {
  return createCipheriv(keys.suite.cipher, keys.key, nonce, {
    authTagLength: TAG_LENGTH,
  } as never) as ReturnType<typeof createCipheriv> & {
    setAAD(aad: Buffer, o?: { plaintextLength: number }): void;
    getAuthTag(): Buffer;
  };
}

function decipher(keys: SealingKeys, nonce: Buffer) {
  return createDecipheriv(keys.suite.cipher, keys.key, nonce, {
    authTagLength: TAG_LENGTH,
  } as never) as ReturnType<typeof createDecipheriv> & {
    setAAD(aad: Buffer, o?: { plaintextLength: number }): void;
    setAuthTag(tag: Buffer): void;
  };
}

/**
 * Seals one record.
 *
 * @param seq - the record sequence number in this direction and epoch.
 * @returns the complete record (header included).
 */
export function sealRecord(
  keys: SealingKeys,
  seq: number,
  contentType: number,
  plaintext: Uint8Array,
): Uint8Array {
  if (keys.suite.version === "TLSv1.3") {
    const inner = Buffer.concat([plaintext, Uint8Array.of(contentType)]);
    const header = Buffer.from([CONTENT_TYPE_APPLICATION_DATA, 3, 3, 0, 0]);
    header.writeUInt16BE(inner.length + TAG_LENGTH, 3);
    const c = cipher(keys, xorNonce(keys.iv, seq));
    c.setAAD(header, { plaintextLength: inner.length });
    const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
    return new Uint8Array(Buffer.concat([header, body]));
  }
  const seqBytes = sequenceBytes(seq);
  const aad = Buffer.concat([seqBytes, Uint8Array.of(contentType, 3, 3), Buffer.from([0, 0])]);
  aad.writeUInt16BE(plaintext.length, 11);
  const explicit = keys.suite.explicitNonceLength > 0 ? seqBytes : Buffer.alloc(0);
  const nonce = explicit.length > 0 ? Buffer.concat([keys.iv, explicit]) : xorNonce(keys.iv, seq);
  const c = cipher(keys, nonce);
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([explicit, c.update(plaintext), c.final(), c.getAuthTag()]);
  const header = Buffer.from([contentType, 3, 3, 0, 0]);
  header.writeUInt16BE(body.length, 3);
  return new Uint8Array(Buffer.concat([header, body]));
}

/**
 * Opens one TLS 1.3 record (`record` includes its header).
 *
 * @returns the inner content type and plaintext, or `undefined` when authentication fails.
 */
export function openRecord13(
  keys: SealingKeys,
  seq: number,
  record: Uint8Array,
): { contentType: number; plaintext: Uint8Array } | undefined {
  const header = Buffer.from(record.subarray(0, RECORD_HEADER_LENGTH));
  const body = Buffer.from(record.subarray(RECORD_HEADER_LENGTH));
  if (body.length < TAG_LENGTH + 1) return undefined;
  try {
    const d = decipher(keys, xorNonce(keys.iv, seq));
    d.setAAD(header, { plaintextLength: body.length - TAG_LENGTH });
    d.setAuthTag(body.subarray(body.length - TAG_LENGTH));
    const inner = Buffer.concat([d.update(body.subarray(0, body.length - TAG_LENGTH)), d.final()]);
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    if (end === 0) return undefined;
    return { contentType: inner[end - 1]!, plaintext: new Uint8Array(inner.subarray(0, end - 1)) };
  } catch {
    return undefined;
  }
}

/** Overwrites the key material with zeros. */
export function zeroSealingKeys(keys: SealingKeys): void {
  keys.key.fill(0);
  keys.iv.fill(0);
}
