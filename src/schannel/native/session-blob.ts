/**
 * The exported form of a client TLS session (what `getSession()` returns and `session` takes):
 * OpenSSL's own serialization (`i2d_SSL_SESSION`: the cipher, the resumption secret, the ticket,
 * the server's leaf certificate and the verify result) inside an envelope that says under which
 * rules it was validated, so a session is only offered where the built-in cache would offer it.
 *
 * ```
 * "ASSN" | version 1 | mode (1 full, 2 no-name-check) | trust id (32) |
 * target length (u16 BE) | target (UTF-8) | session length (u32 BE) | i2d_SSL_SESSION
 * ```
 *
 * - **mode** and **target**: the validation mode and server name of the connection that produced
 *   it. A manually validated connection never produces one (its sessions are never kept).
 * - **trust id**: SHA-256 of the trusted roots the server's chain was validated against, so a
 *   session validated under one credential's roots is never resumed under different roots.
 *
 * The blob holds the session's resumption secret: whoever holds it can resume as this client,
 * and whoever can *write* it decides which server this client trusts. Store it like a key.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import type { NativeAddon, NativeSession } from "./addon-types.js";
import { loadNativeEngine } from "./load-native-engine.js";
import type { ValidationMode } from "./native-credential.js";

const MAGIC = [0x41, 0x53, 0x53, 0x4e]; // "ASSN"
const VERSION = 1;
const TRUST_ID_LENGTH = 32;
const HEADER_LENGTH = MAGIC.length + 2 + TRUST_ID_LENGTH + 2;
/** Bounds of what we accept: a name is at most 255 bytes (DNS) and a session at most 1 MiB. */
const MAX_TARGET_LENGTH = 255;
const MAX_SESSION_LENGTH = 1 << 20;

/** The decoded envelope. */
export interface SessionBlob {
  mode: ValidationMode;
  /** SHA-256 of the trusted roots (32 bytes). */
  trustId: Uint8Array;
  /** The server name the session was validated for (`""` without one). */
  target: string;
  /** `i2d_SSL_SESSION`. */
  der: Uint8Array;
}

const MODES: Readonly<Record<number, ValidationMode>> = { 1: "full", 2: "no-name-check" };

/** @returns the envelope of a session (see the module documentation). */
export function encodeSessionBlob(blob: SessionBlob): Uint8Array {
  const target = Buffer.from(blob.target, "utf8");
  if (target.byteLength > MAX_TARGET_LENGTH) throw new RangeError("target name too long");
  if (blob.trustId.byteLength !== TRUST_ID_LENGTH) throw new RangeError("trust id must be 32 bytes");
  const out = Buffer.alloc(HEADER_LENGTH + target.byteLength + 4 + blob.der.byteLength);
  let at = 0;
  for (const b of MAGIC) out[at++] = b;
  out[at++] = VERSION;
  out[at++] = blob.mode === "full" ? 1 : 2;
  out.set(blob.trustId, at);
  at += TRUST_ID_LENGTH;
  out.writeUInt16BE(target.byteLength, at);
  at += 2;
  out.set(target, at);
  at += target.byteLength;
  out.writeUInt32BE(blob.der.byteLength, at);
  at += 4;
  out.set(blob.der, at);
  return out;
}

/**
 * Parses an envelope strictly: every length must match exactly.
 *
 * @returns the envelope (its `der` is a copy), or `{ error }` saying what is wrong.
 */
export function decodeSessionBlob(bytes: Uint8Array): SessionBlob | { error: string } {
  if (!(bytes instanceof Uint8Array)) return { error: "a session is a Buffer (from getSession())" };
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.byteLength < HEADER_LENGTH || MAGIC.some((m, i) => b[i] !== m))
    return { error: "not a session from getSession() (unknown format)" };
  let at = MAGIC.length;
  if (b[at++] !== VERSION) return { error: `session format version ${b[at - 1]} is not supported` };
  const mode = MODES[b[at++]!];
  if (mode === undefined) return { error: "session has an unknown validation mode" };
  const trustId = Uint8Array.from(b.subarray(at, at + TRUST_ID_LENGTH));
  at += TRUST_ID_LENGTH;
  const targetLength = b.readUInt16BE(at);
  at += 2;
  if (targetLength > MAX_TARGET_LENGTH || at + targetLength + 4 > b.byteLength)
    return { error: "session is truncated (server name)" };
  const targetBytes = b.subarray(at, at + targetLength);
  const target = targetBytes.toString("utf8");
  if (!Buffer.from(target, "utf8").equals(targetBytes)) return { error: "session server name is not UTF-8" };
  at += targetLength;
  const derLength = b.readUInt32BE(at);
  at += 4;
  if (derLength === 0 || derLength > MAX_SESSION_LENGTH) return { error: "session has no valid body" };
  if (at + derLength !== b.byteLength)
    return { error: at + derLength > b.byteLength ? "session is truncated" : "session has trailing bytes" };
  return { mode, trustId, target, der: Uint8Array.from(b.subarray(at)) };
}

/**
 * The OpenSSL session inside an envelope, checked: `d2i_SSL_SESSION` reads it and it carries a
 * server certificate that parses (every exported session has one; the name check on resumption
 * and `peerCertificate` need it).
 *
 * @returns the session (the caller frees it), or `{ error }`.
 */
export function openSession(addon: NativeAddon, der: Uint8Array): NativeSession | { error: string } {
  let session: NativeSession;
  try {
    session = addon.Session.fromDER(der);
  } catch {
    return { error: "the session inside is not an OpenSSL session" };
  }
  const leaf = session.peerCertificate();
  try {
    if (leaf === null) throw new Error("none");
    void new X509Certificate(leaf).publicKey; // the key too: the attributes read it
  } catch {
    session.free();
    return { error: "the session carries no readable server certificate" };
  }
  return session;
}

/**
 * Why `bytes` cannot be given as a session, or null when it can: the envelope is checked here
 * and the session inside by {@link openSession}, when the native engine is loaded.
 */
export function sessionBlobError(bytes: unknown): string | null {
  if (!(bytes instanceof Uint8Array)) return "a session is a Buffer (from getSession())";
  const blob = decodeSessionBlob(bytes);
  if ("error" in blob) return blob.error;
  const engine = loadNativeEngine();
  if (!engine.ok) return null;
  const session = openSession(engine.addon, blob.der);
  if ("error" in session) return session.error;
  session.free();
  return null;
}
