/**
 * MIT keytab files, version 0x0502 (MIT `doc/formats/keytab_file_format.rst`; the file MIT 1.20
 * writes uses 16-bit component counts and key lengths, and appends a 32-bit kvno that wins over
 * the 8-bit one). Holes (negative record lengths) are skipped. Version 0x0501 (host byte order)
 * is refused.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { KerberosError, malformed } from "../errors.js";
import type { Principal } from "../principal.js";
import { ByteReader } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";

/** One key of one principal. */
export interface KeytabEntry {
  readonly principal: Principal;
  /** Seconds since the epoch when the key was written. */
  readonly timestamp: number;
  readonly kvno: number;
  readonly etype: number;
  readonly key: Uint8Array;
}

const WHAT = "keytab";

function readEntry(r: ByteReader): KeytabEntry {
  const count = r.u16();
  const realm = r.text(r.u16());
  const components: string[] = [];
  for (let i = 0; i < count; i++) components.push(r.text(r.u16()));
  const nameType = r.u32();
  const timestamp = r.u32();
  const kvno8 = r.u8();
  const etype = r.u16();
  const key = r.bytesOf(r.u16());
  const kvno32 = r.remaining >= 4 ? r.u32() : 0;
  return {
    principal: { realm, name: { nameType, components } },
    timestamp,
    kvno: kvno32 !== 0 ? kvno32 : kvno8,
    etype,
    key,
  };
}

/** Parses a keytab; throws `ERR_KRB_MALFORMED` for anything that is not a v2 keytab. */
export function parseKeytab(bytes: Uint8Array): KeytabEntry[] {
  const r = new ByteReader(bytes, WHAT);
  const version = r.u16();
  if (version === 0x0501)
    throw new KerberosError("ERR_KRB_UNSUPPORTED", "keytab version 0x0501 is not supported");
  if (version !== 0x0502) throw malformed(WHAT, `unknown version 0x${version.toString(16)}`);
  const entries: KeytabEntry[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 4) throw malformed(WHAT, "truncated record length");
    const length = r.i32();
    if (length === 0) break;
    if (length < 0) {
      r.skip(-length);
      continue;
    }
    const record = new ByteReader(r.bytesOf(length), WHAT);
    entries.push(readEntry(record));
  }
  return entries;
}

/** Serialises `entries` as a v2 keytab (with the 32-bit kvno), readable by MIT's `klist -k`. */
export function writeKeytab(entries: readonly KeytabEntry[]): Uint8Array {
  const w = new ByteWriter().u16(0x0502);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  for (const e of entries) {
    const rec = new ByteWriter().u16(e.principal.name.components.length);
    const realm = utf8(e.principal.realm);
    rec.u16(realm.length).raw(realm);
    for (const c of e.principal.name.components) {
      const b = utf8(c);
      rec.u16(b.length).raw(b);
    }
    rec
      .u32(e.principal.name.nameType)
      .u32(e.timestamp)
      .u8(e.kvno & 0xff)
      .u16(e.etype)
      .u16(e.key.length)
      .raw(e.key)
      .u32(e.kvno);
    const body = rec.bytes();
    w.i32(body.length).raw(body);
  }
  return w.bytes();
}

/** Reads and parses the keytab at `path` (a `FILE:` prefix is accepted). */
export async function readKeytabFile(path: string): Promise<KeytabEntry[]> {
  return parseKeytab(await readFile(path.replace(/^FILE:/, "")));
}
