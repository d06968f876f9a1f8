/**
 * Outbound NTLM credentials from `AcquireCredentialsHandle`'s `pAuthData`: a
 * `SEC_WINNT_AUTH_IDENTITY` as a JavaScript object with the C field names
 * (`{ User, Domain, Password, Flags }`; the `*Length` fields are optional and, when given, must be
 * the string lengths), or `NtHash` (16 bytes) instead of `Password`. Null `pAuthData` means the
 * default credentials: gss-ntlmssp's `NTLM_USER_FILE`, the line of `pszPrincipal`'s user or the
 * first line.
 *
 * @module
 */

import type { Outcome } from "../../sspi/security-package.js";
import { SEC_E_INVALID_PARAMETER, SEC_E_OK } from "../../sspi/status.js";
import { defaultCredentials, type NtlmClientCredentials } from "../credentials.js";

/** `SEC_WINNT_AUTH_IDENTITY_ANSI`: the strings were ANSI in C (JavaScript strings either way). */
export const SEC_WINNT_AUTH_IDENTITY_ANSI = 0x1;
/** `SEC_WINNT_AUTH_IDENTITY_UNICODE`. */
export const SEC_WINNT_AUTH_IDENTITY_UNICODE = 0x2;

/** `SEC_WINNT_AUTH_IDENTITY` in JavaScript; `NtHash` may replace `Password`. */
export interface SEC_WINNT_AUTH_IDENTITY {
  User: string;
  UserLength?: number;
  Domain?: string | null;
  DomainLength?: number;
  Password?: string;
  PasswordLength?: number;
  /** 16 bytes: MD4 of the UTF-16LE password, instead of `Password`. */
  NtHash?: Uint8Array;
  /** `SEC_WINNT_AUTH_IDENTITY_UNICODE` (default) or `_ANSI`. */
  Flags?: number;
}

/** The outbound credential's identity: given, or to be read from `NTLM_USER_FILE` at acquire time. */
export type OutboundIdentity =
  | { kind: "given"; identity: NtlmClientCredentials }
  | { kind: "default"; user?: string };

const invalid = (reason: string): Outcome => ({ status: SEC_E_INVALID_PARAMETER, reason });

/** Validates and copies an outbound `pAuthData` (queue time). */
export function prepareIdentity(
  principal: string | null,
  authData: unknown,
): Outcome & { identity?: OutboundIdentity } {
  if (authData === null || authData === undefined) {
    const user = principal ? (principal.split("\\").pop() ?? principal) : undefined;
    return { status: SEC_E_OK, identity: { kind: "default", ...(user ? { user } : {}) } };
  }
  if (typeof authData !== "object")
    return invalid("pAuthData must be a SEC_WINNT_AUTH_IDENTITY object or null");
  const a = authData as Partial<Record<keyof SEC_WINNT_AUTH_IDENTITY, unknown>>;
  if (typeof a.User !== "string") return invalid("SEC_WINNT_AUTH_IDENTITY.User must be a string");
  const domain = a.Domain ?? "";
  if (typeof domain !== "string") return invalid("SEC_WINNT_AUTH_IDENTITY.Domain must be a string or null");
  if (
    a.Flags !== undefined &&
    a.Flags !== SEC_WINNT_AUTH_IDENTITY_UNICODE &&
    a.Flags !== SEC_WINNT_AUTH_IDENTITY_ANSI
  )
    return invalid("SEC_WINNT_AUTH_IDENTITY.Flags must be SEC_WINNT_AUTH_IDENTITY_UNICODE or _ANSI");
  for (const [field, value] of [
    ["User", a.User],
    ["Domain", domain],
    ["Password", a.Password],
  ] as const) {
    const length = a[`${field}Length`];
    if (length !== undefined && (typeof value !== "string" || length !== value.length))
      return invalid(`SEC_WINNT_AUTH_IDENTITY.${field}Length does not match ${field}`);
  }
  if (a.NtHash !== undefined) {
    if (a.Password !== undefined) return invalid("give Password or NtHash, not both");
    if (!(a.NtHash instanceof Uint8Array) || a.NtHash.length !== 16)
      return invalid("SEC_WINNT_AUTH_IDENTITY.NtHash must be 16 bytes");
    return {
      status: SEC_E_OK,
      identity: { kind: "given", identity: { User: a.User, Domain: domain, NtHash: a.NtHash.slice() } },
    };
  }
  if (typeof a.Password !== "string") return invalid("SEC_WINNT_AUTH_IDENTITY.Password must be a string");
  return {
    status: SEC_E_OK,
    identity: { kind: "given", identity: { User: a.User, Domain: domain, Password: a.Password } },
  };
}

/**
 * The identity to use (acquire time).
 *
 * @throws NtlmError `no-credentials` when the default credentials cannot be found.
 */
export function resolveIdentity(identity: OutboundIdentity): NtlmClientCredentials {
  return identity.kind === "given" ? identity.identity : defaultCredentials(identity.user);
}
