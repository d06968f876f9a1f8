/**
 * The fleet's ticket-key schedule, shared by every process that uses the same rotation period:
 * time is cut into epochs of `rotationMs`; epoch `e` has one key, which encrypts new tickets
 * during the epoch and still decrypts for `graceMs` after it ends. The next epoch's key is made
 * ahead and decrypts already, so a process whose clock is a little ahead of the others
 * (or that rotated first) issues tickets every other process can read.
 *
 * Pure arithmetic and encoding; where the keys come from is the provider's business.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  MAX_SESSION_TICKET_KEYS,
  SESSION_TICKET_INFO_VERSION,
  SESSION_TICKET_KEY_ID_LENGTH,
  SESSION_TICKET_KEYING_MATERIAL_LENGTH,
  type SecPkgCred_SessionTicketKeys,
} from "../../schannel/session-ticket-keys.js";

/** One epoch's key: `KeyId` (the epoch in its first 8 bytes, 8 random bytes) and 64 bytes of keying material. */
export interface EpochKey {
  readonly epoch: number;
  /** 16 bytes. */
  readonly id: Uint8Array;
  /** 64 bytes: HMAC-SHA256 key, then AES-256 key. */
  readonly material: Uint8Array;
}

/** Bytes of a stored key: `KeyId` then `KeyingMaterial`. */
const STORED_LENGTH = SESSION_TICKET_KEY_ID_LENGTH + SESSION_TICKET_KEYING_MATERIAL_LENGTH;

/** The rotation period and the grace period, in milliseconds. */
export interface KeySchedule {
  readonly rotationMs: number;
  readonly graceMs: number;
}

/** The epoch `now` falls in. */
export function epochAt(schedule: KeySchedule, now: number): number {
  return Math.floor(now / schedule.rotationMs);
}

/** When epoch `epoch`'s key stops decrypting (ms since 1970). */
export function retiresAt(schedule: KeySchedule, epoch: number): number {
  return (epoch + 1) * schedule.rotationMs + schedule.graceMs;
}

/**
 * The epochs whose keys a server needs at `now`, the encrypting one first: the current epoch,
 * the next one (decrypt only, made ahead), then the past epochs still within their grace period,
 * newest first — at most {@link MAX_SESSION_TICKET_KEYS}.
 */
export function epochsAt(schedule: KeySchedule, now: number): number[] {
  const current = epochAt(schedule, now);
  const epochs = [current, current + 1];
  for (let past = current - 1; retiresAt(schedule, past) > now; past--) {
    if (epochs.length === MAX_SESSION_TICKET_KEYS) break;
    epochs.push(past);
  }
  return epochs;
}

/** When the set of {@link epochsAt} changes next after `now`: a rotation or a retirement. */
export function nextChangeAfter(schedule: KeySchedule, now: number): number {
  const rotation = (epochAt(schedule, now) + 1) * schedule.rotationMs;
  const oldest = epochsAt(schedule, now).at(-1)!;
  const retirement = retiresAt(schedule, oldest);
  return retirement > now ? Math.min(rotation, retirement) : rotation;
}

/** A fresh random key for `epoch`. */
export function newEpochKey(epoch: number): EpochKey {
  const id = new Uint8Array(SESSION_TICKET_KEY_ID_LENGTH);
  new DataView(id.buffer).setBigUint64(0, BigInt(epoch));
  id.set(randomBytes(8), 8);
  return { epoch, id, material: new Uint8Array(randomBytes(SESSION_TICKET_KEYING_MATERIAL_LENGTH)) };
}

/** The stored form of a key: base64 of `KeyId || KeyingMaterial`. */
export function encodeEpochKey(key: EpochKey): string {
  return Buffer.concat([key.id, key.material]).toString("base64");
}

/**
 * Reads a stored key back.
 *
 * @returns the key, or null when `text` is not a key of `epoch` (wrong length or another epoch's id).
 */
export function decodeEpochKey(epoch: number, text: string): EpochKey | null {
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength !== STORED_LENGTH) return null;
  const id = new Uint8Array(bytes.subarray(0, SESSION_TICKET_KEY_ID_LENGTH));
  if (new DataView(id.buffer).getBigUint64(0) !== BigInt(epoch)) return null;
  return { epoch, id, material: new Uint8Array(bytes.subarray(SESSION_TICKET_KEY_ID_LENGTH)) };
}

/** `SecPkgCred_SessionTicketKeys` for `SetCredentialsAttributes`: the keys in order, the first encrypts. */
export function sessionTicketKeysOf(keys: readonly EpochKey[]): SecPkgCred_SessionTicketKeys {
  return {
    cSessionTicketKeys: keys.length,
    pSessionTicketKeys: keys.map((key) => ({
      TicketInfoVersion: SESSION_TICKET_INFO_VERSION,
      KeyId: key.id,
      KeyingMaterial: key.material,
      KeyingMaterialSize: SESSION_TICKET_KEYING_MATERIAL_LENGTH,
    })),
  };
}
