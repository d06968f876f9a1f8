/**
 * The client side of HTTP Negotiate/NTLM, independent of the HTTP library: choose the challenge
 * to answer, run an {@link AuthContext} over its legs, and verify the server's final token
 * (Kerberos mutual authentication). The fetch dispatcher (`async-sspi/fetch`) and
 * {@link NegotiateAgent} drive it.
 *
 * @module
 */
import type { SEC_CHANNEL_BINDINGS } from "../sspi/channel-bindings.js";
import { SEC_E_INVALID_TOKEN, SEC_E_MUTUAL_AUTH_FAILED } from "../sspi/status.js";
import { AuthContext } from "./auth-context.js";
import { type AuthCredentials, type AuthIdentity, acquireAuthCredentials } from "./auth-credentials.js";
import { AuthError } from "./auth-error.js";
import {
  formatCredentials,
  type HttpAuthScheme,
  type HttpChallenge,
  PACKAGE_OF_SCHEME,
  parseChallenges,
} from "./http-auth-scheme.js";

/** How an HTTP client authenticates. */
export interface HttpClientAuthOptions {
  /**
   * The scheme to answer: `"negotiate"` (SPNEGO: Kerberos, falling back to NTLM), `"ntlm"`, or
   * `"any"` (default: Negotiate when offered, else NTLM).
   */
  auth?: "negotiate" | "ntlm" | "any";
  /**
   * A user and password; without it, the default credentials: the Kerberos credential cache
   * (`KRB5CCNAME`, what `kinit` wrote) and `NTLM_USER_FILE` for NTLM.
   */
  identity?: AuthIdentity;
  /** The server's service principal name; default `HTTP/<host name>`. */
  servicePrincipal?: (url: URL) => string;
  /**
   * Require the server to prove itself where the package can (the Kerberos AP-REP in the final
   * response's `WWW-Authenticate`). Default true.
   */
  mutualAuth?: boolean;
  /** Send the HTTPS connection's tls-server-end-point channel bindings (default true). */
  channelBindings?: boolean;
}

/** Most challenge legs of one authentication (NTLM needs 2, Negotiate at most 3). */
export const MAX_LEGS = 4;

/** One authentication of one request (or connection): its context and where it stands. */
export class HttpAuthExchange {
  #legs = 1;

  /** @internal */
  constructor(
    readonly scheme: HttpAuthScheme,
    readonly context: AuthContext,
    /** The `Authorization` value to send now. */
    public header: string,
    private readonly mutualAuth: boolean = true,
  ) {}

  /**
   * The next `Authorization` value for another 401/407 of the same exchange, or null when the
   * server refused (a challenge without a token after ours, or too many legs).
   *
   * @throws {AuthError} when the server's token fails the step.
   */
  async answer(challengeValues: readonly string[]): Promise<string | null> {
    const challenge = parseChallenges(challengeValues).find((c) => c.scheme === this.scheme);
    if (!challenge?.token || this.context.done || ++this.#legs > MAX_LEGS) return null;
    const { token } = await this.context.step(challenge.token);
    if (token === null)
      throw AuthError.refused(
        "InitializeSecurityContext",
        SEC_E_INVALID_TOKEN,
        "the server's challenge asked for nothing",
      );
    this.header = formatCredentials(this.scheme, token);
    return this.header;
  }

  /**
   * Checks the final (non-401) response: the server's last token, if any, completes the
   * context (Kerberos: the AP-REP proving the server's identity).
   *
   * @throws {AuthError} `SEC_E_MUTUAL_AUTH_FAILED` when mutual authentication is required (the
   *   default) and the server sent no proof; the step's status when its token is wrong.
   */
  async verify(challengeValues: readonly string[]): Promise<void> {
    const final = parseChallenges(challengeValues).find((c) => c.scheme === this.scheme);
    if (final?.token) await this.context.step(final.token);
    if (!this.context.done && this.mutualAuth)
      throw AuthError.refused(
        "InitializeSecurityContext",
        SEC_E_MUTUAL_AUTH_FAILED,
        `the server's response did not complete the ${this.context.package} authentication (no mutual-authentication token)`,
      );
  }

  /** The package the server and client settled on (for Negotiate: Kerberos or NTLM). */
  get package(): string {
    return this.context.package;
  }
}

/** Credentials and policy of one HTTP client; starts an {@link HttpAuthExchange} per 401/407. */
export class HttpClientAuth {
  readonly #options: HttpClientAuthOptions;
  readonly #credentials = new Map<string, Promise<AuthCredentials>>();

  constructor(options: HttpClientAuthOptions = {}) {
    this.#options = options;
  }

  /** Whether channel bindings are sent. */
  get sendsChannelBindings(): boolean {
    return this.#options.channelBindings ?? true;
  }

  /** The challenge this client answers among those offered, or null. */
  choose(challengeValues: readonly string[]): HttpChallenge | null {
    const offered = parseChallenges(challengeValues).filter((c) => c.token === null);
    const wanted = this.#options.auth ?? "any";
    const pick = (scheme: HttpAuthScheme) => offered.find((c) => c.scheme === scheme) ?? null;
    if (wanted === "negotiate") return pick("Negotiate");
    if (wanted === "ntlm") return pick("NTLM");
    return pick("Negotiate") ?? pick("NTLM");
  }

  /**
   * Starts answering a 401/407 for `url`, or returns null when no offered challenge is ours.
   *
   * @throws {AuthError} when the credentials cannot be acquired or the first step fails.
   */
  async start(
    url: URL,
    challengeValues: readonly string[],
    bindings: SEC_CHANNEL_BINDINGS | null,
  ): Promise<HttpAuthExchange | null> {
    const challenge = this.choose(challengeValues);
    if (challenge === null) return null;
    const credentials = await this.#credentialsFor(PACKAGE_OF_SCHEME[challenge.scheme]);
    const context = new AuthContext(credentials, {
      target: this.#options.servicePrincipal?.(url) ?? `HTTP/${url.hostname}`,
      mutualAuth: this.#options.mutualAuth ?? true,
      channelBindings: this.sendsChannelBindings ? bindings : null,
    });
    try {
      const { token } = await context.step();
      return new HttpAuthExchange(
        challenge.scheme,
        context,
        formatCredentials(challenge.scheme, token),
        this.#options.mutualAuth ?? true,
      );
    } catch (e) {
      await context.close();
      throw e;
    }
  }

  #credentialsFor(pkg: string): Promise<AuthCredentials> {
    let credentials = this.#credentials.get(pkg);
    if (credentials === undefined) {
      credentials = acquireAuthCredentials({
        package: pkg,
        role: "client",
        ...(this.#options.identity ? { identity: this.#options.identity } : {}),
      });
      this.#credentials.set(pkg, credentials);
      credentials.catch(() => this.#credentials.delete(pkg));
    }
    return credentials;
  }

  /** Frees the credentials. */
  async close(): Promise<void> {
    const all = [...this.#credentials.values()];
    this.#credentials.clear();
    await Promise.all(
      all.map((c) =>
        c.then(
          (x) => x.close(),
          () => undefined,
        ),
      ),
    );
  }
}
