/**
 * The parts of krb5.conf a client or service of this library uses (MIT's `krb5.conf(5)`):
 * `[libdefaults]` default_realm, dns_canonicalize_hostname (off unless "true"), clockskew,
 * udp_preference_limit, default_ccache_name, default_keytab_name; `[realms]` KDC lists;
 * `[domain_realm]` host → realm. Read from `KRB5_CONFIG` (colon-separated, first existing file)
 * or `/etc/krb5.conf`. DNS SRV discovery is out of scope: KDCs come from here or options.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { KdcAddress } from "../client/kdc-transport.js";
import { parseProfile, profileValues } from "./profile.js";

export interface Krb5Config {
  readonly defaultRealm: string | undefined;
  /** MIT's default is "true"; this library defaults to false (the decision), "true" turns it on. */
  readonly dnsCanonicalizeHostname: boolean;
  readonly clockSkewSeconds: number;
  /** Requests larger than this go over TCP (MIT's default 1465; 1 = always TCP). */
  readonly udpPreferenceLimit: number;
  readonly defaultCcacheName: string | undefined;
  readonly defaultKeytabName: string | undefined;
  /** KDCs of `realm`, in file order (port 88 when none is given). */
  kdcs(realm: string): KdcAddress[];
  /** The realm of `host` from [domain_realm] (exact name, then the longest `.domain` suffix). */
  realmOfHost(host: string): string | undefined;
}

/** `host`, `host:port`, `[v6]:port` or `[v6]`, optionally prefixed `tcp/` or `udp/` (MIT 1.13+). */
export function parseKdcAddress(value: string): KdcAddress {
  const prefix = /^(tcp|udp)\//.exec(value);
  const rest = prefix ? value.slice(4) : value;
  const transport = prefix ? { transport: prefix[1] as "tcp" | "udp" } : {};
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 88, ...transport };
  const m = /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (!m) return { host: rest, port: 88, ...transport };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 88, ...transport };
}

/** Interprets krb5.conf text. */
export function parseKrb5Conf(text: string): Krb5Config {
  const profile = parseProfile(text);
  const lib = (tag: string) => profileValues(profile, ["libdefaults", tag])[0];
  const domainRealm = profile.sections.get("domain_realm");
  return {
    defaultRealm: lib("default_realm"),
    dnsCanonicalizeHostname: lib("dns_canonicalize_hostname") === "true",
    clockSkewSeconds: Number(lib("clockskew") ?? 300),
    udpPreferenceLimit: Number(lib("udp_preference_limit") ?? 1465),
    defaultCcacheName: lib("default_ccache_name"),
    defaultKeytabName: lib("default_keytab_name"),
    kdcs: (realm) => profileValues(profile, ["realms", realm, "kdc"]).map(parseKdcAddress),
    realmOfHost: (host) => {
      if (!domainRealm) return undefined;
      const h = host.toLowerCase();
      const value = (tag: string) => {
        const v = domainRealm.entries.get(tag)?.[0];
        return typeof v === "string" ? v : undefined;
      };
      const exact = value(h);
      if (exact) return exact;
      for (let i = h.indexOf("."); i >= 0; i = h.indexOf(".", i + 1)) {
        const suffix = value(h.slice(i));
        if (suffix) return suffix;
      }
      return undefined;
    },
  };
}

/** The krb5.conf candidates: `KRB5_CONFIG` (colon-separated) or /etc/krb5.conf. */
function configPaths(env: NodeJS.ProcessEnv): string[] {
  return (env.KRB5_CONFIG ?? "/etc/krb5.conf").split(":").filter((p) => p !== "");
}

/** Reads the first existing file of `KRB5_CONFIG` (or /etc/krb5.conf); undefined when none exists. */
export async function readKrb5Conf(env: NodeJS.ProcessEnv = process.env): Promise<Krb5Config | undefined> {
  for (const path of configPaths(env)) {
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text !== undefined) return parseKrb5Conf(text);
  }
  return undefined;
}

/**
 * {@link readKrb5Conf} answering in the call (credentials are acquired in blocking calls too; the
 * file is small). With `path`, that file only, and `undefined` when it cannot be read.
 */
export function readKrb5ConfSync(
  env: NodeJS.ProcessEnv = process.env,
  path?: string,
): Krb5Config | undefined {
  for (const candidate of path === undefined ? configPaths(env) : [path]) {
    let text: string;
    try {
      text = readFileSync(candidate, "utf8");
    } catch {
      continue;
    }
    return parseKrb5Conf(text);
  }
  return undefined;
}
