/**
 * Where a credential's configuration comes from: krb5.conf (`KRB5_CONFIG`, else /etc/krb5.conf,
 * read when the credential is acquired) overridden by explicit options (realm → KDC list, clock
 * skew, KDC timeout). DNS SRV discovery of KDCs is out of scope: a realm without a KDC in either
 * place fails with SEC_E_NO_AUTHENTICATING_AUTHORITY.
 *
 * @module
 */
import type { KdcAddress } from "../client/kdc-transport.js";
import { type Krb5Config, parseKdcAddress, readKrb5ConfSync } from "../config/krb5-conf.js";
import { KerberosError } from "../errors.js";

/** Options a credential's `pAuthData` may carry beside the identity (all optional). */
export interface KerberosConfigOptions {
  /** A krb5.conf to read instead of `KRB5_CONFIG` / /etc/krb5.conf. */
  krb5Conf?: string;
  /** KDCs per realm (`"host"`, `"host:port"`, `"tcp/host:port"`), before krb5.conf's. */
  kdcs?: Record<string, readonly string[]>;
  /** Per-attempt KDC timeout in milliseconds (default 5000). */
  kdcTimeoutMs?: number;
  /** Allowed clock difference in seconds (default krb5.conf's `clockskew`, else 300). */
  clockSkewSeconds?: number;
}

/** The settings a credential works with, resolved at acquire time. */
export interface KerberosSettings {
  readonly defaultRealm: string | undefined;
  readonly clockSkewSeconds: number;
  readonly defaultCcacheName: string | undefined;
  readonly defaultKeytabName: string | undefined;
  /** The KDCs of `realm`, in order; throws `ERR_KRB_TRANSPORT` when none is configured. */
  kdcs(realm: string): KdcAddress[];
  /** The realm of a host from `[domain_realm]`, if any. */
  realmOfHost(host: string): string | undefined;
}

/** Validates the option fields of `pAuthData` (queue time); returns a reason or null. */
export function invalidConfigOptions(o: Record<string, unknown>): string | null {
  if (o.krb5Conf !== undefined && typeof o.krb5Conf !== "string") return "krb5Conf must be a path";
  if (o.kdcs !== undefined) {
    if (typeof o.kdcs !== "object" || o.kdcs === null) return "kdcs must map realms to KDC lists";
    for (const list of Object.values(o.kdcs))
      if (!Array.isArray(list) || !list.every((k) => typeof k === "string"))
        return "kdcs must map realms to arrays of host[:port] strings";
  }
  for (const field of ["kdcTimeoutMs", "clockSkewSeconds"] as const) {
    const v = o[field];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0))
      return `${field} must be a non-negative number`;
  }
  return null;
}

/** Copies the option fields (queue time). */
export function copyConfigOptions(o: KerberosConfigOptions): KerberosConfigOptions {
  return {
    ...(o.krb5Conf !== undefined && { krb5Conf: o.krb5Conf }),
    ...(o.kdcs !== undefined && {
      kdcs: Object.fromEntries(Object.entries(o.kdcs).map(([r, l]) => [r, [...l]])),
    }),
    ...(o.kdcTimeoutMs !== undefined && { kdcTimeoutMs: o.kdcTimeoutMs }),
    ...(o.clockSkewSeconds !== undefined && { clockSkewSeconds: o.clockSkewSeconds }),
  };
}

function readConfig(options: KerberosConfigOptions): Krb5Config | undefined {
  const conf = readKrb5ConfSync(process.env, options.krb5Conf);
  if (conf === undefined && options.krb5Conf !== undefined)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `cannot read krb5.conf ${options.krb5Conf}`, {
      krbCode: 45,
    });
  return conf;
}

/** Reads krb5.conf and applies the options (acquire time). Throws `ERR_KRB_MALFORMED` for a bad file. */
export function resolveSettings(options: KerberosConfigOptions): KerberosSettings {
  const conf = readConfig(options);
  const timeoutMs = options.kdcTimeoutMs ?? 5000;
  return {
    defaultRealm: conf?.defaultRealm,
    clockSkewSeconds: options.clockSkewSeconds ?? conf?.clockSkewSeconds ?? 300,
    defaultCcacheName: conf?.defaultCcacheName,
    defaultKeytabName: conf?.defaultKeytabName,
    kdcs: (realm) => {
      const given = options.kdcs?.[realm]?.map(parseKdcAddress) ?? [];
      const list = given.length > 0 ? given : (conf?.kdcs(realm) ?? []);
      if (list.length === 0)
        throw new KerberosError(
          "ERR_KRB_TRANSPORT",
          `no KDC known for realm ${realm} (krb5.conf [realms] or the kdcs option; DNS discovery is not done)`,
        );
      return list.map((k) => ({
        ...k,
        transport: k.transport ?? "auto",
        timeoutMs,
        udpPreferenceLimit: conf?.udpPreferenceLimit ?? 1465,
      }));
    },
    realmOfHost: (host) => conf?.realmOfHost(host),
  };
}
