/**
 * Inbound Kerberos credentials: the service keys (a keytab), the replay cache and the policies an
 * acceptor applies.
 *
 * `pAuthData` of `AcquireCredentialsHandle(SECPKG_CRED_INBOUND)`: a
 * {@link KerberosAcceptorCredentials} or null. The keytab is `keytab`, else `KRB5_KTNAME`, else
 * krb5.conf's `default_keytab_name`, else /etc/krb5.keytab; it is read when the credential is
 * acquired. `pszPrincipal`, when given, limits the acceptor to that service principal's keys
 * (`HTTP/host@REALM`); otherwise any key in the keytab is accepted (as MIT's acceptor with
 * GSS_C_NO_NAME).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { ChannelBindingPolicy } from "../../ntlm/server.js";
import { MemoryReplayCache, type ReplayCache } from "../ap/replay-cache.js";
import { KerberosError } from "../errors.js";
import { type KeytabEntry, parseKeytab } from "../files/keytab.js";
import { formatPrincipal, parsePrincipal, samePrincipal } from "../principal.js";
import {
  copyConfigOptions,
  invalidConfigOptions,
  type KerberosConfigOptions,
  resolveSettings,
} from "./kerberos-config.js";

/** Inbound `pAuthData` of the Kerberos package. */
export interface KerberosAcceptorCredentials
  extends Pick<KerberosConfigOptions, "krb5Conf" | "clockSkewSeconds"> {
  /** The service keytab (path, `FILE:` accepted). */
  keytab?: string;
  /**
   * Where seen authenticators are remembered; default one in-memory cache per credential. A
   * server running several processes behind one name needs a shared one (docs/kerberos.md).
   */
  replayCache?: ReplayCache;
  /** `never`, `when-supported` (default) or `required` (Windows' Extended Protection Off/Accept/Required). */
  channelBindingPolicy?: ChannelBindingPolicy;
}

export interface PreparedAcceptor {
  readonly principal: string | null;
  readonly keytab: string | undefined;
  readonly replayCache: ReplayCache | undefined;
  readonly channelBindingPolicy: ChannelBindingPolicy;
  readonly options: KerberosConfigOptions;
}

const POLICIES: readonly ChannelBindingPolicy[] = ["never", "when-supported", "required"];

/** Validates and copies inbound `pAuthData` (queue time); a reason string on failure. */
export function prepareAcceptor(principal: string | null, authData: unknown): PreparedAcceptor | string {
  const a = (authData ?? {}) as Record<string, unknown>;
  if (typeof a !== "object") return "pAuthData must be a KerberosAcceptorCredentials object or null";
  const bad = invalidConfigOptions(a);
  if (bad) return bad;
  if (a.keytab !== undefined && typeof a.keytab !== "string") return "keytab must be a path";
  const cache = a.replayCache as ReplayCache | undefined;
  if (cache !== undefined && (typeof cache !== "object" || typeof cache?.record !== "function"))
    return "replayCache must have a record(key, expires) method";
  const policy = (a.channelBindingPolicy ?? "when-supported") as ChannelBindingPolicy;
  if (!POLICIES.includes(policy)) return "channelBindingPolicy must be never, when-supported or required";
  const { krb5Conf, clockSkewSeconds } = copyConfigOptions(a as KerberosConfigOptions);
  return {
    principal,
    keytab: a.keytab as string | undefined,
    replayCache: cache,
    channelBindingPolicy: policy,
    options: {
      ...(krb5Conf !== undefined && { krb5Conf }),
      ...(clockSkewSeconds !== undefined && { clockSkewSeconds }),
    },
  };
}

/** An acquired inbound credential. */
export interface KerberosAcceptorCredential {
  readonly keytab: readonly KeytabEntry[];
  readonly replayCache: ReplayCache;
  readonly channelBindingPolicy: ChannelBindingPolicy;
  readonly clockSkewSeconds: number;
}

/** Reads the keytab (acquire time). Throws `KerberosError` for a missing, empty or malformed keytab. */
export function acquireAcceptor(p: PreparedAcceptor): KerberosAcceptorCredential {
  const settings = resolveSettings(p.options);
  const path = p.keytab ?? process.env.KRB5_KTNAME ?? settings.defaultKeytabName ?? "/etc/krb5.keytab";
  let keytab: KeytabEntry[];
  try {
    keytab = parseKeytab(readFileSync(path.replace(/^(FILE|WRFILE):/, "")));
  } catch (e) {
    if (e instanceof KerberosError) throw e;
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `cannot read the keytab ${path}`, { krbCode: 45 });
  }
  if (p.principal) {
    const wanted = parsePrincipal(p.principal, settings.defaultRealm ?? keytab[0]?.principal.realm ?? "");
    keytab = keytab.filter((e) => samePrincipal(e.principal, wanted));
    if (keytab.length === 0)
      throw new KerberosError(
        "ERR_KRB_BAD_ARGUMENT",
        `the keytab ${path} has no key for ${formatPrincipal(wanted)}`,
        {
          krbCode: 45,
        },
      );
  } else if (keytab.length === 0)
    throw new KerberosError("ERR_KRB_BAD_ARGUMENT", `the keytab ${path} is empty`, { krbCode: 45 });
  return {
    keytab,
    replayCache: p.replayCache ?? new MemoryReplayCache(),
    channelBindingPolicy: p.channelBindingPolicy,
    clockSkewSeconds: settings.clockSkewSeconds,
  };
}
