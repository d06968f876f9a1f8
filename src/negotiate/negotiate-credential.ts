/**
 * A Negotiate credential: one sub-credential per package Negotiate can use (Kerberos, NTLM),
 * acquired through those packages' own AcquireCredentialsHandle. A package that is not
 * installed, or whose credential cannot be acquired (no ticket cache, no `NTLM_USER_FILE`), is
 * left out and the others serve; the acquisition fails only when none is left.
 *
 * `pAuthData` for `AcquireCredentialsHandle("Negotiate", …)`:
 * - `null`: every package's default credentials (Kerberos: the MIT credential cache or, inbound,
 *   the keytab of `KRB5_KTNAME`; NTLM: `NTLM_USER_FILE`);
 * - a `SEC_WINNT_AUTH_IDENTITY` (`{ User, Domain, Password }`, `Domain` the realm for Kerberos),
 *   given to each package, with Windows' optional `PackageList` (`"Kerberos,NTLM"`, or
 *   `"!NTLM"` to leave one out);
 * - a {@link NegotiateAuthData}: each package's own `pAuthData` (a keytab for Kerberos, an
 *   `NtlmAcceptorCredentials` for NTLM …); packages not named are not used.
 *
 * @module
 */
import { type HostTask, type Reply, reply } from "../sspi/host-task.js";
import { SECPKG_CRED_BOTH, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../sspi/package-constants.js";
import { findAvailableSecurityPackage } from "../sspi/package-registry.js";
import type {
  AcquireCredentialsRequest,
  AcquireCredentialsResult,
  Outcome,
  PackageObject,
  SecurityPackage,
} from "../sspi/security-package.js";
import {
  SEC_E_INVALID_PARAMETER,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import type { TimeStamp } from "../sspi/types.js";
import { NEGOTIABLE_PACKAGES, type NegotiablePackage } from "./mechanisms.js";

/** `pAuthData` naming each sub-package's own `pAuthData` (`null` = that package's defaults). */
export interface NegotiateAuthData {
  packages: Partial<Record<NegotiablePackage, unknown>>;
}

/** One acquired sub-credential. */
export interface SubCredential {
  readonly name: NegotiablePackage;
  readonly pkg: SecurityPackage;
  readonly credential: PackageObject;
}

export interface NegotiateCredential {
  readonly role: "initiator" | "acceptor";
  /** In Negotiate's order of preference: Kerberos, then NTLM. */
  readonly subs: readonly SubCredential[];
  /** Why each package left out was left out ("Kerberos: no credential cache …"). */
  readonly leftOut: readonly string[];
}

/** One package's prepared `pAuthData` between queue time and acquire time. */
interface PreparedSub {
  readonly name: NegotiablePackage;
  readonly pkg: SecurityPackage;
  readonly authData: unknown;
}

/** What {@link prepareNegotiateCredentials} hands to acquisition. */
export interface PreparedNegotiateCredentials {
  readonly subs: readonly PreparedSub[];
  readonly leftOut: readonly string[];
}

/** How a sub-package's acquisition is called: asynchronously or inside a blocking call. */
export type AcquireCall = (
  pkg: SecurityPackage,
  request: AcquireCredentialsRequest,
) => Reply<AcquireCredentialsResult>;

/** Validates `pAuthData` and has every usable package copy its part, at queue time. */
export function prepareNegotiateCredentials(
  principal: string | null,
  credentialUse: number,
  authData: unknown,
): Outcome & { authData?: PreparedNegotiateCredentials } {
  const use = credentialUse & SECPKG_CRED_BOTH;
  if (use !== SECPKG_CRED_OUTBOUND && use !== SECPKG_CRED_INBOUND)
    return {
      status: SEC_E_INVALID_PARAMETER,
      reason: "Negotiate credentials are SECPKG_CRED_OUTBOUND or SECPKG_CRED_INBOUND (acquire one of each)",
    };
  const perPackage = splitAuthData(authData);
  if ("status" in perPackage) return perPackage;
  const subs: PreparedSub[] = [];
  const leftOut: string[] = [];
  const failures: Outcome[] = [];
  for (const [name, data] of perPackage) {
    const pkg = findAvailableSecurityPackage(name);
    if (pkg === undefined) {
      leftOut.push(`${name}: the package is not installed`);
      continue;
    }
    const prepared = pkg.prepareCredentials(principal, credentialUse, data);
    if (prepared.status !== SEC_E_OK) {
      failures.push(prepared);
      leftOut.push(`${name}: ${prepared.reason ?? "credentials refused"}`);
      continue;
    }
    subs.push({ name, pkg, authData: prepared.authData });
  }
  if (subs.length === 0)
    return { status: failures[0]?.status ?? SEC_E_NO_CREDENTIALS, reason: noneLeft(leftOut) };
  return { status: SEC_E_OK, authData: { subs, leftOut } };
}

/** Acquires every prepared sub-credential; those that fail are left out. */
export function* acquireNegotiateCredentials(
  request: AcquireCredentialsRequest,
  acquire: AcquireCall,
): HostTask<AcquireCredentialsResult> {
  const prepared = request.authData as PreparedNegotiateCredentials;
  const subs: SubCredential[] = [];
  const leftOut = [...prepared.leftOut];
  let firstFailure: SECURITY_STATUS | undefined;
  let expiry: TimeStamp | undefined;
  for (const sub of prepared.subs) {
    const result = yield* reply(acquire(sub.pkg, { ...request, authData: sub.authData }));
    if (result.status === SEC_E_OK && result.credential !== undefined) {
      subs.push({ name: sub.name, pkg: sub.pkg, credential: result.credential });
      expiry ??= result.expiry;
    } else {
      firstFailure ??= result.status;
      leftOut.push(`${sub.name}: ${result.reason ?? "no credentials"}`);
    }
  }
  if (subs.length === 0)
    return { status: firstFailure ?? SEC_E_NO_CREDENTIALS, reason: noneLeft(leftOut), expiry: 0n };
  const role = (request.credentialUse & SECPKG_CRED_BOTH) === SECPKG_CRED_OUTBOUND ? "initiator" : "acceptor";
  const credential: NegotiateCredential = { role, subs, leftOut };
  return { status: SEC_E_OK, credential, expiry: expiry ?? 0n };
}

/** Frees every sub-credential. */
export function* freeNegotiateCredentials(
  credential: NegotiateCredential,
  free: (pkg: SecurityPackage, credential: PackageObject) => Reply<Outcome>,
): HostTask<Outcome> {
  for (const sub of credential.subs) yield* reply(free(sub.pkg, sub.credential));
  return { status: SEC_E_OK };
}

function noneLeft(leftOut: readonly string[]): string {
  return `no package Negotiate can use has credentials (${leftOut.join("; ") || "none installed"})`;
}

/** Each package's `pAuthData`, in Negotiate's order, from the caller's `pAuthData`. */
function splitAuthData(authData: unknown): Array<[NegotiablePackage, unknown]> | Outcome {
  if (authData === null || authData === undefined) return NEGOTIABLE_PACKAGES.map((name) => [name, null]);
  if (typeof authData !== "object")
    return { status: SEC_E_INVALID_PARAMETER, reason: "pAuthData must be an object or null" };
  if ("packages" in authData) {
    const packages = (authData as NegotiateAuthData).packages;
    if (typeof packages !== "object" || packages === null)
      return { status: SEC_E_INVALID_PARAMETER, reason: "NegotiateAuthData.packages must be an object" };
    const unknown = Object.keys(packages).filter(
      (k) => !(NEGOTIABLE_PACKAGES as readonly string[]).includes(k),
    );
    if (unknown.length > 0)
      return {
        status: SEC_E_INVALID_PARAMETER,
        reason: `Negotiate cannot use the package(s) ${unknown.join(", ")} (only ${NEGOTIABLE_PACKAGES.join(", ")})`,
      };
    return NEGOTIABLE_PACKAGES.filter((name) => name in packages).map((name) => [name, packages[name]]);
  }
  const { PackageList, ...identity } = authData as { PackageList?: unknown };
  if (PackageList === undefined) return NEGOTIABLE_PACKAGES.map((name) => [name, identity]);
  if (typeof PackageList !== "string")
    return { status: SEC_E_INVALID_PARAMETER, reason: "PackageList must be a string" };
  const selected = selectPackages(PackageList);
  if ("status" in selected) return selected;
  return selected.map((name) => [name, identity]);
}

/** Windows' `PackageList`: `"Kerberos,NTLM"` selects, `"!NTLM"` excludes (case-insensitive). */
function selectPackages(list: string): NegotiablePackage[] | Outcome {
  const items = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const find = (s: string) => NEGOTIABLE_PACKAGES.find((n) => n.toLowerCase() === s.toLowerCase());
  const included = new Set<NegotiablePackage>();
  const excluded = new Set<NegotiablePackage>();
  for (const item of items) {
    const exclude = item.startsWith("!");
    const name = find(exclude ? item.slice(1) : item);
    if (name === undefined)
      return { status: SEC_E_INVALID_PARAMETER, reason: `PackageList names an unknown package "${item}"` };
    (exclude ? excluded : included).add(name);
  }
  return NEGOTIABLE_PACKAGES.filter((n) => (included.size === 0 || included.has(n)) && !excluded.has(n));
}
