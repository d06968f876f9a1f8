/**
 * Outbound Kerberos credentials: where the client's identity comes from, and the tickets obtained
 * with it, cached in memory per credential.
 *
 * `pAuthData` of `AcquireCredentialsHandle(SECPKG_CRED_OUTBOUND)`:
 * - a `SEC_WINNT_AUTH_IDENTITY` (`{ User, Domain, Password }`): `Domain` is the realm (upper-cased,
 *   as Windows does; `User` may also be `user@REALM`, and without either the krb5.conf default
 *   realm is used); the TGT comes from an AS exchange with PA-ENC-TIMESTAMP at the first
 *   InitializeSecurityContext;
 * - the same with `Keytab` (a path) instead of `Password`: the client's keys come from a keytab
 *   (`User` may then be left out: the keytab's first principal);
 * - null, or an object without `User`, `Password` and `Keytab`: Windows' default credentials,
 *   here MIT's credential cache (`KRB5CCNAME`, else krb5.conf's `default_ccache_name`, else
 *   `FILE:/tmp/krb5cc_UID`), read when the credential is acquired (never written).
 * Any form may add {@link KerberosConfigOptions} (krb5.conf path, KDCs, timeouts).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import type { HostTask } from "../../sspi/host-task.js";
import { TICKET_FLAGS } from "../asn1/constants.js";
import { asExchange, type ClientSecret } from "../client/as-exchange.js";
import { fromCachedCredential, type KerberosCredential } from "../client/credential.js";
import type { KdcAddress, KdcSend } from "../client/kdc-transport.js";
import { tgsExchange } from "../client/tgs-exchange.js";
import { KerberosError } from "../errors.js";
import { credentialCachePath, parseCredentialCache } from "../files/ccache.js";
import { type KeytabEntry, parseKeytab } from "../files/keytab.js";
import { formatPrincipal, NAME_TYPE, type Principal, parsePrincipal, samePrincipal } from "../principal.js";
import {
  copyConfigOptions,
  invalidConfigOptions,
  type KerberosConfigOptions,
  type KerberosSettings,
  resolveSettings,
} from "./kerberos-config.js";

/** Outbound `pAuthData` of the Kerberos package (see the module comment). */
export interface KerberosClientCredentials extends KerberosConfigOptions {
  User?: string;
  UserLength?: number;
  /** The realm (upper-cased). */
  Domain?: string | null;
  DomainLength?: number;
  Password?: string;
  PasswordLength?: number;
  /** A client keytab (path, `FILE:` accepted) instead of `Password`. */
  Keytab?: string;
  Flags?: number;
}

/** The identity as copied at queue time. */
export type ClientIdentity =
  | {
      readonly kind: "password";
      readonly user: string;
      readonly realm: string | undefined;
      readonly password: string;
    }
  | {
      readonly kind: "keytab";
      readonly user: string | undefined;
      readonly realm: string | undefined;
      readonly path: string;
    }
  | { readonly kind: "ccache" };

export interface PreparedClient {
  readonly identity: ClientIdentity;
  readonly options: KerberosConfigOptions;
}

/** Validates and copies outbound `pAuthData` (queue time); a reason string on failure. */
export function prepareClient(authData: unknown): PreparedClient | string {
  if (authData === null || authData === undefined) return { identity: { kind: "ccache" }, options: {} };
  if (typeof authData !== "object") return "pAuthData must be a SEC_WINNT_AUTH_IDENTITY object or null";
  const a = authData as Record<string, unknown>;
  const bad = invalidConfigOptions(a);
  if (bad) return bad;
  const options = copyConfigOptions(a as KerberosConfigOptions);
  for (const field of ["User", "Password", "Keytab"] as const)
    if (a[field] !== undefined && typeof a[field] !== "string")
      return `SEC_WINNT_AUTH_IDENTITY.${field} must be a string`;
  if (a.Domain !== undefined && a.Domain !== null && typeof a.Domain !== "string")
    return "SEC_WINNT_AUTH_IDENTITY.Domain must be a string or null";
  for (const field of ["User", "Domain", "Password"] as const) {
    const length = a[`${field}Length`];
    const value = a[field];
    if (length !== undefined && (typeof value !== "string" || length !== value.length))
      return `SEC_WINNT_AUTH_IDENTITY.${field}Length does not match ${field}`;
  }
  if (a.Password !== undefined && a.Keytab !== undefined) return "give Password or Keytab, not both";
  const user = a.User as string | undefined;
  const realm = (a.Domain as string | null | undefined) ? (a.Domain as string).toUpperCase() : undefined;
  if (typeof a.Password === "string") {
    if (!user) return "SEC_WINNT_AUTH_IDENTITY.User is required with a Password";
    return { identity: { kind: "password", user, realm, password: a.Password }, options };
  }
  if (typeof a.Keytab === "string")
    return { identity: { kind: "keytab", user, realm, path: a.Keytab }, options };
  if (user) return "SEC_WINNT_AUTH_IDENTITY needs a Password or a Keytab with a User";
  return { identity: { kind: "ccache" }, options };
}

/** How the TGT is (re)obtained. */
type TgtSource =
  | { readonly kind: "secret"; readonly secret: ClientSecret }
  | { readonly kind: "ccache"; readonly name: string };

/** Tickets are renewed this long before they end. */
const EXPIRY_MARGIN_MS = 30_000;

const tgsName = (realm: string): Principal => ({
  realm,
  name: { nameType: NAME_TYPE.SRV_INST, components: ["krbtgt", realm] },
});

/** An acquired outbound credential: the client principal and its ticket cache. */
export class KerberosClientCredential {
  private readonly tickets = new Map<string, KerberosCredential>();

  private constructor(
    readonly client: Principal,
    private readonly source: TgtSource,
    readonly settings: KerberosSettings,
    cached: readonly KerberosCredential[],
  ) {
    for (const c of cached) this.tickets.set(formatPrincipal(c.server), c);
  }

  /**
   * Reads the configuration and, for keytabs and credential caches, the file (acquire time).
   * Throws `KerberosError` (no credentials, unreadable or malformed files).
   */
  static acquire(prepared: PreparedClient): KerberosClientCredential {
    const settings = resolveSettings(prepared.options);
    const id = prepared.identity;
    if (id.kind === "ccache") {
      const name =
        process.env.KRB5CCNAME ??
        settings.defaultCcacheName?.replace("%{uid}", String(userInfo().uid)) ??
        `FILE:/tmp/krb5cc_${userInfo().uid}`;
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(credentialCachePath(name));
      } catch (e) {
        if (e instanceof KerberosError) throw e;
        throw noCredentials(`no credential cache at ${name} (run kinit, or give a password or keytab)`);
      }
      const cache = parseCredentialCache(bytes);
      const tickets = cache.credentials
        .filter((c) => !c.isSessionKeyTicket && samePrincipal(c.client, cache.defaultPrincipal))
        .map(fromCachedCredential);
      return new KerberosClientCredential(
        cache.defaultPrincipal,
        { kind: "ccache", name },
        settings,
        tickets,
      );
    }
    const realm = id.realm ?? settings.defaultRealm ?? "";
    if (id.kind === "password") {
      const client = parsePrincipal(id.user, realm);
      if (!client.realm)
        throw noCredentials(`no realm for ${id.user}: give Domain or a krb5.conf default_realm`);
      return new KerberosClientCredential(
        client,
        { kind: "secret", secret: { kind: "password", password: id.password } },
        settings,
        [],
      );
    }
    let entries: KeytabEntry[];
    try {
      entries = parseKeytab(readFileSync(id.path.replace(/^FILE:/, "")));
    } catch (e) {
      if (e instanceof KerberosError) throw e;
      throw noCredentials(`cannot read the keytab ${id.path}`);
    }
    const first = entries[0];
    if (!first) throw noCredentials(`the keytab ${id.path} is empty`);
    const client = id.user ? parsePrincipal(id.user, realm || first.principal.realm) : first.principal;
    if (!entries.some((e) => samePrincipal(e.principal, client)))
      throw noCredentials(`the keytab ${id.path} has no key for ${formatPrincipal(client)}`);
    return new KerberosClientCredential(
      client,
      { kind: "secret", secret: { kind: "keytab", entries } },
      settings,
      [],
    );
  }

  /** A service ticket for `server`: cached, or from the TGS with the TGT (obtained first if needed). */
  *serviceTicket(server: Principal, send: KdcSend): HostTask<KerberosCredential> {
    const cached = this.valid(formatPrincipal(server));
    if (cached) return cached;
    const tgt = yield* this.ticketGrantingTicket(send);
    const result = yield* this.atKdcs(server.realm, (kdc) => tgsExchange({ tgt, server, kdc }, send));
    this.tickets.set(formatPrincipal(server), result.credential);
    return result.credential;
  }

  private *ticketGrantingTicket(send: KdcSend): HostTask<KerberosCredential> {
    const name = formatPrincipal(tgsName(this.client.realm));
    const cached = this.valid(name);
    if (cached) return cached;
    const source = this.source;
    if (source.kind === "ccache") {
      const stale = this.tickets.get(name);
      throw new KerberosError(
        "ERR_KRB_PROTOCOL",
        stale
          ? `the ticket-granting ticket in ${source.name} expired at ${stale.endTime.toISOString()} (KRB_AP_ERR_TKT_EXPIRED): run kinit`
          : `${source.name} holds no ticket-granting ticket for ${this.client.realm}: run kinit`,
        { krbCode: stale ? 32 : 45 },
      );
    }
    const as = yield* this.atKdcs(this.client.realm, (kdc) =>
      asExchange({ client: this.client, secret: source.secret, kdc }, send),
    );
    this.tickets.set(name, as.credential);
    return as.credential;
  }

  /** Runs `exchange` against the realm's KDCs in order, moving on when one cannot be reached. */
  private *atKdcs<T>(realm: string, exchange: (kdc: KdcAddress) => HostTask<T>): HostTask<T> {
    let last: unknown;
    for (const kdc of this.settings.kdcs(realm)) {
      try {
        return yield* exchange(kdc);
      } catch (e) {
        if (!(e instanceof KerberosError) || e.code !== "ERR_KRB_TRANSPORT") throw e;
        last = e;
      }
    }
    throw last;
  }

  private valid(name: string): KerberosCredential | undefined {
    const t = this.tickets.get(name);
    if (!t) return undefined;
    if ((t.flags & TICKET_FLAGS.INVALID) !== 0) return undefined;
    return t.endTime.getTime() - EXPIRY_MARGIN_MS > Date.now() ? t : undefined;
  }
}

function noCredentials(message: string): KerberosError {
  return new KerberosError("ERR_KRB_BAD_ARGUMENT", message, { krbCode: 45 });
}
