/**
 * Credentials for the authentication packages (Negotiate, Kerberos, NTLM):
 * {@link acquireAuthCredentials} acquires a `CredHandle` through the SSPI surface and wraps it
 * in {@link AuthCredentials}.
 *
 * ```ts
 * // the default credentials: the Kerberos credential cache (kinit), or NTLM_USER_FILE
 * await using credentials = await acquireAuthCredentials({ package: "Negotiate", role: "client" });
 * ```
 *
 * @module
 */
import "../ntlm/register.js";
import * as sspi from "../async/promises.js";
import { CredHandle } from "../sspi/handles.js";
import { SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../sspi/package-constants.js";
import { FreeContextBuffer, QuerySecurityPackageInfo } from "../sspi/package-registry.js";
import { SEC_E_INVALID_HANDLE, SEC_E_INVALID_PARAMETER, SEC_E_OK } from "../sspi/status.js";
import { box, type SecPkgInfo } from "../sspi/types.js";
import { AuthError } from "./auth-error.js";

/** The authentication packages by their SSPI names (any registered package name is accepted). */
export type AuthPackageName = "Negotiate" | "Kerberos" | "NTLM" | (string & {});

/** A user and password (`SEC_WINNT_AUTH_IDENTITY`); for Kerberos `domain` is the realm. */
export interface AuthIdentity {
  user: string;
  /** NTLM: the domain; Kerberos: the realm (default: from the user's `@REALM` or krb5.conf). */
  domain?: string;
  password: string;
}

/** What {@link acquireAuthCredentials} takes. */
export interface AuthCredentialsOptions {
  /** The SSPI package: `"Negotiate"`, `"Kerberos"` or `"NTLM"`. */
  package: AuthPackageName;
  /** `"client"` (outbound) or `"server"` (inbound). */
  role: "client" | "server";
  /**
   * Client: a user and password. Without it (and without `authData`) the package's default
   * credentials are used: the MIT credential cache (`KRB5CCNAME`, `kinit`) for Kerberos,
   * `NTLM_USER_FILE` for NTLM.
   */
  identity?: AuthIdentity;
  /** `pszPrincipal`: the principal whose credentials to use (e.g. the line of `NTLM_USER_FILE`). */
  principal?: string;
  /**
   * The package's own `pAuthData` (instead of `identity`), e.g. the NTLM acceptor's
   * `{ userFile, channelBindingPolicy }`. Server default: null (the keytab of `KRB5_KTNAME`,
   * the users of `NTLM_USER_FILE`).
   */
  authData?: unknown;
}

/**
 * Acquired credentials of one package and role. Any number of contexts may use them at once.
 * Free them with {@link AuthCredentials.close} or `await using`.
 */
export class AuthCredentials {
  /** The underlying handle, for the SSPI-shaped functions. */
  readonly handle: CredHandle;
  /** The package named when acquiring. */
  readonly package: AuthPackageName;
  readonly role: "client" | "server";
  /** The package's largest token (`cbMaxToken`): the output buffer size of a step. */
  readonly maxToken: number;
  #closed = false;

  /** @internal Use {@link acquireAuthCredentials}. */
  constructor(handle: CredHandle, pkg: AuthPackageName, role: "client" | "server", maxToken: number) {
    this.handle = handle;
    this.package = pkg;
    this.role = role;
    this.maxToken = maxToken;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal Throws `SEC_E_INVALID_HANDLE` when closed. */
  assertOpen(operation: string): void {
    if (this.#closed)
      throw AuthError.refused(operation, SEC_E_INVALID_HANDLE, "the AuthCredentials were closed");
  }

  /** Frees the handle (`FreeCredentialsHandle`). Idempotent; never rejects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await sspi.FreeCredentialsHandle(this.handle);
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The `SEC_WINNT_AUTH_IDENTITY` for `identity`: `DOMAIN\user` and `user@REALM` are split. */
function winntIdentity(identity: AuthIdentity): { User: string; Domain: string; Password: string } {
  let { user, domain } = identity;
  if (domain === undefined) {
    const backslash = user.indexOf("\\");
    const at = user.lastIndexOf("@");
    if (backslash > 0) [domain, user] = [user.slice(0, backslash), user.slice(backslash + 1)];
    else if (at > 0) [user, domain] = [user.slice(0, at), user.slice(at + 1)];
  }
  return { User: user, Domain: domain ?? "", Password: identity.password };
}

/**
 * Acquires credentials (`AcquireCredentialsHandle`, asynchronous: reading a credential cache,
 * keytab or user file never blocks the loop).
 *
 * @throws {AuthError} `SEC_E_SECPKG_NOT_FOUND` (no such package here), `SEC_E_INVALID_PARAMETER`
 *   (malformed options), `SEC_E_NO_CREDENTIALS` (no default credentials: no credential cache,
 *   keytab or user file), and the package's other statuses with its reason.
 */
export async function acquireAuthCredentials(options: AuthCredentialsOptions): Promise<AuthCredentials> {
  const op = "AcquireCredentialsHandle";
  if (options?.role !== "client" && options?.role !== "server")
    throw AuthError.refused(op, SEC_E_INVALID_PARAMETER, 'role must be "client" or "server"');
  if (options.identity !== undefined && options.authData !== undefined)
    throw AuthError.refused(op, SEC_E_INVALID_PARAMETER, "give identity or authData, not both");
  const info = box<SecPkgInfo | null>(null);
  const found = QuerySecurityPackageInfo(options.package, info);
  if (found !== SEC_E_OK) throw AuthError.of("QuerySecurityPackageInfo", found);
  const maxToken = info.value!.cbMaxToken;
  FreeContextBuffer(info.value);
  const authData = options.identity ? winntIdentity(options.identity) : (options.authData ?? null);
  const handle = new CredHandle();
  const status = await sspi.AcquireCredentialsHandle(
    options.principal ?? null,
    options.package,
    options.role === "client" ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND,
    null,
    authData,
    null,
    null,
    handle,
    null,
  );
  if (status !== SEC_E_OK) throw AuthError.of(op, status, handle);
  return new AuthCredentials(handle, options.package, options.role, maxToken);
}
