/**
 * AV_PAIR lists (MS-NLMP §2.2.2.1): the CHALLENGE's TargetInfo and the client's copy of it inside
 * the NTLMv2 response. Kept as an ordered list so a client can echo the server's pairs byte for
 * byte and add its own (MsvAvFlags, MsvAvTargetName, MsvAvChannelBindings) before MsvAvEOL.
 *
 * @module
 */

import {
  concat,
  fromUtf16le,
  readBytes,
  readU16,
  readU32,
  readU64,
  utf16le,
  writeU16,
  writeU32,
  writeU64,
} from "./messages/wire.js";
import { invalidToken } from "./ntlm-error.js";

export const MsvAvEOL = 0x0000;
export const MsvAvNbComputerName = 0x0001;
export const MsvAvNbDomainName = 0x0002;
export const MsvAvDnsComputerName = 0x0003;
export const MsvAvDnsDomainName = 0x0004;
export const MsvAvDnsTreeName = 0x0005;
export const MsvAvFlags = 0x0006;
export const MsvAvTimestamp = 0x0007;
export const MsvAvSingleHost = 0x0008;
export const MsvAvTargetName = 0x0009;
export const MsvAvChannelBindings = 0x000a;

/** MsvAvFlags bits. */
export const MSV_AV_FLAG_ACCOUNT_CONSTRAINED = 0x1;
/** The client put a MIC in the AUTHENTICATE message. */
export const MSV_AV_FLAG_MIC_PRESENT = 0x2;
/** The SPN came from an untrusted source (never set by this client: Windows servers refuse it). */
export const MSV_AV_FLAG_UNTRUSTED_SPN_SOURCE = 0x4;

const FIXED_SIZE: Record<number, number> = {
  [MsvAvFlags]: 4,
  [MsvAvTimestamp]: 8,
  [MsvAvChannelBindings]: 16,
};

const NAMES: Record<number, string> = {
  0: "MsvAvEOL",
  1: "MsvAvNbComputerName",
  2: "MsvAvNbDomainName",
  3: "MsvAvDnsComputerName",
  4: "MsvAvDnsDomainName",
  5: "MsvAvDnsTreeName",
  6: "MsvAvFlags",
  7: "MsvAvTimestamp",
  8: "MsvAvSingleHost",
  9: "MsvAvTargetName",
  10: "MsvAvChannelBindings",
};

/** The spec name of an AvId (`MsvAvTimestamp`), or `AvId 0x…` for unknown ones. */
export function avIdName(id: number): string {
  return NAMES[id] ?? `AvId 0x${id.toString(16).padStart(4, "0")}`;
}

export interface AvPair {
  id: number;
  value: Uint8Array;
}

/**
 * Parses an AV_PAIR list that must end with MsvAvEOL; bytes after the EOL are ignored (the NTLMv2
 * response carries 4 zero bytes there).
 *
 * @throws NtlmError `invalid-token` on a pair running past the end, a missing EOL, a wrong size for
 *   MsvAvFlags (4), MsvAvTimestamp (8) or MsvAvChannelBindings (16), or a duplicated AvId.
 */
export function parseAvPairs(bytes: Uint8Array, what = "AV_PAIR list"): AvPair[] {
  const pairs: AvPair[] = [];
  const seen = new Set<number>();
  let at = 0;
  for (;;) {
    const id = readU16(bytes, at, what);
    const length = readU16(bytes, at + 2, what);
    const value = readBytes(bytes, at + 4, length, `${what} ${avIdName(id)}`);
    at += 4 + length;
    if (id === MsvAvEOL) {
      if (length !== 0) throw invalidToken(`${what}: MsvAvEOL with a ${length}-byte value`);
      return pairs;
    }
    const size = FIXED_SIZE[id];
    if (size !== undefined && length !== size)
      throw invalidToken(`${what}: ${avIdName(id)} has ${length} bytes, expected ${size}`);
    if (seen.has(id)) throw invalidToken(`${what}: ${avIdName(id)} appears twice`);
    seen.add(id);
    pairs.push({ id, value });
  }
}

/** Encodes pairs (which must not contain MsvAvEOL) followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const p of [...pairs, { id: MsvAvEOL, value: new Uint8Array(0) }]) {
    const head = new Uint8Array(4);
    writeU16(head, 0, p.id);
    writeU16(head, 2, p.value.length);
    parts.push(head, p.value);
  }
  return concat(...parts);
}

/** The value of pair `id`, if present. */
export function findAv(pairs: readonly AvPair[], id: number): Uint8Array | undefined {
  return pairs.find((p) => p.id === id)?.value;
}

/** A copy of `pairs` with `id` set to `value` (replaced in place, or appended). */
export function withAv(pairs: readonly AvPair[], id: number, value: Uint8Array): AvPair[] {
  const out = pairs.map((p) => (p.id === id ? { id, value } : p));
  if (!out.some((p) => p.id === id)) out.push({ id, value });
  return out;
}

/** A string-valued pair (names are UTF-16LE). */
export function stringAv(id: number, text: string): AvPair {
  return { id, value: utf16le(text) };
}

/** Reads a string-valued pair. */
export function avString(pairs: readonly AvPair[], id: number): string | undefined {
  const v = findAv(pairs, id);
  return v === undefined ? undefined : fromUtf16le(v, avIdName(id));
}

/** MsvAvFlags as a number (0 when absent). */
export function avFlags(pairs: readonly AvPair[]): number {
  const v = findAv(pairs, MsvAvFlags);
  return v === undefined ? 0 : readU32(v, 0, "MsvAvFlags");
}

export function flagsAv(flags: number): AvPair {
  const value = new Uint8Array(4);
  writeU32(value, 0, flags);
  return { id: MsvAvFlags, value };
}

/** MsvAvTimestamp as a FILETIME (100 ns since 1601-01-01 UTC). */
export function avTimestamp(pairs: readonly AvPair[]): bigint | undefined {
  const v = findAv(pairs, MsvAvTimestamp);
  return v === undefined ? undefined : readU64(v, 0, "MsvAvTimestamp");
}

export function timestampAv(filetime: bigint): AvPair {
  const value = new Uint8Array(8);
  writeU64(value, 0, filetime);
  return { id: MsvAvTimestamp, value };
}
