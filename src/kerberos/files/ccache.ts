/**
 * MIT credential caches, `FILE:` type, versions 0x0504 and 0x0503 (MIT
 * `doc/formats/ccache_file_format.rst`): the default principal and the credentials `kinit` and
 * `kvno` stored. Configuration entries (server realm `X-CACHECONF:`) are returned apart, never as
 * tickets. Versions 1 and 2 (host byte order) are refused. Reading only: this library never
 * writes a cache.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { KerberosError, malformed } from "../errors.js";
import type { Principal } from "../principal.js";
import { ByteReader } from "./byte-reader.js";

/** One cached ticket with its session key. */
export interface CachedCredential {
  readonly client: Principal;
  readonly server: Principal;
  readonly key: { readonly etype: number; readonly value: Uint8Array };
  /** Times in seconds since the epoch. */
  readonly authTime: number;
  readonly startTime: number;
  readonly endTime: number;
  readonly renewTill: number;
  readonly isSessionKeyTicket: boolean;
  /** TicketFlags as the 32-bit value (bit 0 = RFC 4120's bit 0, the most significant). */
  readonly ticketFlags: number;
  readonly addresses: ReadonlyArray<{ readonly type: number; readonly address: Uint8Array }>;
  readonly authData: ReadonlyArray<{ readonly type: number; readonly data: Uint8Array }>;
  /** The DER Ticket, as received from the KDC. */
  readonly ticket: Uint8Array;
  readonly secondTicket: Uint8Array;
}

/** A configuration entry MIT keeps in the cache (`fast_avail`, `pa_type`, `start_realm`, …). */
export interface CacheConfigEntry {
  readonly key: string;
  /** The principal the entry is about, when it names one. */
  readonly principal: string | undefined;
  readonly value: Uint8Array;
}

export interface CredentialCache {
  readonly version: number;
  /** KDC time offset from the header (tag 1), when present. */
  readonly kdcOffset: { readonly seconds: number; readonly microseconds: number } | undefined;
  readonly defaultPrincipal: Principal;
  readonly credentials: readonly CachedCredential[];
  readonly config: readonly CacheConfigEntry[];
}

const WHAT = "credential cache";
const CONFIG_REALM = "X-CACHECONF:";
const CONFIG_NAME = "krb5_ccache_conf_data";

function readPrincipal(r: ByteReader): Principal {
  const nameType = r.u32();
  const count = r.u32();
  if (count > 64) throw malformed(WHAT, `principal with ${count} components`);
  const realm = r.text(r.u32());
  const components: string[] = [];
  for (let i = 0; i < count; i++) components.push(r.text(r.u32()));
  return { realm, name: { nameType, components } };
}

function readCounted<T>(r: ByteReader, read: () => T): T[] {
  const count = r.u32();
  if (count > r.remaining) throw malformed(WHAT, `list of ${count} items in ${r.remaining} bytes`);
  const items: T[] = [];
  for (let i = 0; i < count; i++) items.push(read());
  return items;
}

function readCredential(r: ByteReader, version: number): CachedCredential {
  const client = readPrincipal(r);
  const server = readPrincipal(r);
  const etype = r.u16();
  if (version === 0x0503) r.u16(); // v3 repeats the enctype
  const value = r.bytesOf(r.u32());
  const authTime = r.u32();
  const startTime = r.u32();
  const endTime = r.u32();
  const renewTill = r.u32();
  const isSessionKeyTicket = r.u8() !== 0;
  const ticketFlags = r.u32();
  const addresses = readCounted(r, () => ({ type: r.u16(), address: r.bytesOf(r.u32()) }));
  const authData = readCounted(r, () => ({ type: r.u16(), data: r.bytesOf(r.u32()) }));
  const ticket = r.bytesOf(r.u32());
  const secondTicket = r.bytesOf(r.u32());
  return {
    client,
    server,
    key: { etype, value },
    authTime,
    startTime,
    endTime,
    renewTill,
    isSessionKeyTicket,
    ticketFlags,
    addresses,
    authData,
    ticket,
    secondTicket,
  };
}

/** Parses a FILE ccache; `ERR_KRB_MALFORMED` when truncated or not a cache. */
export function parseCredentialCache(bytes: Uint8Array): CredentialCache {
  const r = new ByteReader(bytes, WHAT);
  const version = r.u16();
  if (version === 0x0501 || version === 0x0502)
    throw new KerberosError(
      "ERR_KRB_UNSUPPORTED",
      `credential cache version 0x0${version.toString(16)} is not supported`,
    );
  if (version !== 0x0503 && version !== 0x0504)
    throw malformed(WHAT, `unknown version 0x${version.toString(16)}`);
  let kdcOffset: CredentialCache["kdcOffset"];
  if (version === 0x0504) {
    const header = new ByteReader(r.bytesOf(r.u16()), WHAT);
    while (header.remaining > 0) {
      const tag = header.u16();
      const field = new ByteReader(header.bytesOf(header.u16()), WHAT);
      if (tag === 1) kdcOffset = { seconds: field.i32(), microseconds: field.i32() };
    }
  }
  const defaultPrincipal = readPrincipal(r);
  const credentials: CachedCredential[] = [];
  const config: CacheConfigEntry[] = [];
  while (r.remaining > 0) {
    const c = readCredential(r, version);
    if (c.server.realm === CONFIG_REALM && c.server.name.components[0] === CONFIG_NAME) {
      config.push({
        key: c.server.name.components[1] ?? "",
        principal: c.server.name.components[2],
        value: c.ticket,
      });
    } else {
      credentials.push(c);
    }
  }
  return { version, kdcOffset, defaultPrincipal, credentials, config };
}

/**
 * The cache file `KRB5CCNAME` names (`FILE:path` or a bare path). Other cache types (KEYRING:,
 * KCM:, API:, DIR:) throw `ERR_KRB_UNSUPPORTED`.
 */
export function credentialCachePath(name: string): string {
  const m = /^([A-Za-z]+):(.*)$/.exec(name);
  if (!m) return name;
  if (m[1] === "FILE") return m[2]!;
  throw new KerberosError(
    "ERR_KRB_UNSUPPORTED",
    `credential cache type ${m[1]}: is not supported (only FILE:)`,
  );
}

/** Reads and parses the cache `name` (as in `KRB5CCNAME`). */
export async function readCredentialCache(name: string): Promise<CredentialCache> {
  return parseCredentialCache(await readFile(credentialCachePath(name)));
}
