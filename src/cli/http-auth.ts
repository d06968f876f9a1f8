/**
 * HTTP authentication for `async-sspi serve --http --auth negotiate|ntlm` (connection-based, as
 * IIS does it), through the API's {@link HttpAuthAcceptor}: a request without credentials gets
 * `401` + `WWW-Authenticate: Negotiate` (or `NTLM`); the token legs are answered on the same
 * kept-alive connection; the final token (Kerberos' mutual authentication) goes back with the
 * page, which shows the authenticated principal and the package. A failure answers the bare
 * challenge again (the status and reason only in the log).
 *
 * `--auth negotiate`: `--keytab FILE` enables Kerberos, `--ntlm-users FILE` the NTLM fallback
 * (the Negotiate package's `{ packages: { Kerberos, NTLM } }` credentials). `--auth ntlm`: `--ntlm-users FILE`. Each connection's
 * `SECPKG_ATTR_ENDPOINT_BINDINGS` go to the package, checked by the `--channel-binding` policy.
 *
 * @module
 */
import "../index.js";
import { AuthCredentials } from "../api/auth-credentials.js";
import { channelBindingsOf } from "../api/channel-bindings.js";
import { HttpAuthAcceptor, type HttpConnectionAuth } from "../api/http-server-auth.js";
import { AcquireCredentialsHandle, FreeCredentialsHandle } from "../sspi/blocking-calls.js";
import { CredHandle, type CtxtHandle } from "../sspi/handles.js";
import { SspiGetLastErrorInfo } from "../sspi/last-error.js";
import { SECPKG_CRED_INBOUND } from "../sspi/package-constants.js";
import { QuerySecurityPackageInfo } from "../sspi/package-registry.js";
import { SEC_E_OK, statusName } from "../sspi/status.js";
import { box, type SecPkgInfo } from "../sspi/types.js";
import type { HttpAuthenticator, HttpAuthResult, HttpRequest } from "./http-responder.js";
import { UsageError } from "./tls-flags.js";

/** The `serve` options this file adds (spread into its `parseArgs` options). */
export const httpAuthFlags = {
  auth: { type: "string" },
  keytab: { type: "string" },
  "ntlm-users": { type: "string" },
  "channel-binding": { type: "string" },
} as const;

/** Their lines of `serve --help`. */
export const httpAuthUsage = [
  "  --auth negotiate|ntlm    ask every HTTP client to authenticate (WWW-Authenticate: Negotiate",
  "                           or NTLM) through the SSPI package; the page shows the principal",
  "                           and the package (Negotiate: Kerberos or NTLM)",
  "  --keytab FILE            negotiate: the service keytab (Kerberos: HTTP/host keys)",
  "  --ntlm-users FILE        the NTLM users: DOMAIN:user:password lines (gss-ntlmssp's",
  "                           NTLM_USER_FILE); with negotiate, the NTLM fallback",
  "  --channel-binding P      never | allow (default) | require: this TLS connection's",
  "                           tls-server-end-point binding (Extended Protection Off/Accept/Required)",
];

const POLICY = { never: "never", allow: "when-supported", require: "required" } as const;
type Policy = keyof typeof POLICY;

/** The blocking acquisition at startup (before listening), as a usage error when it fails. */
function acquire(pkg: string, authData: unknown, what: string): AuthCredentials {
  const info = box<SecPkgInfo | null>(null);
  if (QuerySecurityPackageInfo(pkg, info) !== SEC_E_OK)
    throw new UsageError(`--auth: the ${pkg} package is not available here`);
  const handle = new CredHandle();
  const status = AcquireCredentialsHandle(
    null,
    pkg,
    SECPKG_CRED_INBOUND,
    null,
    authData,
    null,
    null,
    handle,
    null,
  );
  if (status !== SEC_E_OK)
    throw new UsageError(
      `${what}: ${SspiGetLastErrorInfo()?.reason ?? statusName(status) ?? String(status)}`,
    );
  return new AuthCredentials(handle, pkg, "server", info.value!.cbMaxToken);
}

/** HTTP authentication for the connections of one server. */
export class HttpAuth {
  private constructor(
    private readonly acceptor: HttpAuthAcceptor,
    readonly policy: Policy,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * The authentication the flags ask for, or null without `--auth`. `log` gets one line per
   * authentication (the principal and package, or the failure's status and reason).
   *
   * @throws UsageError for a bad combination or credentials that cannot be used.
   */
  static async fromFlags(
    values: { auth?: string; keytab?: string; "ntlm-users"?: string; "channel-binding"?: string },
    log: (line: string) => void,
  ): Promise<HttpAuth | null> {
    if (values.auth === undefined) {
      if (
        values.keytab !== undefined ||
        values["ntlm-users"] !== undefined ||
        values["channel-binding"] !== undefined
      )
        throw new UsageError("--keytab, --ntlm-users and --channel-binding need --auth negotiate|ntlm");
      return null;
    }
    const auth = values.auth.toLowerCase();
    if (auth !== "ntlm" && auth !== "negotiate")
      throw new UsageError(`--auth: "${values.auth}" is not supported (negotiate, ntlm)`);
    const policy = (values["channel-binding"] ?? "allow") as Policy;
    if (!(policy in POLICY))
      throw new UsageError(`--channel-binding: "${policy}" is not never, allow or require`);
    const users = values["ntlm-users"];
    let credentials: AuthCredentials;
    if (auth === "ntlm") {
      if (values.keytab !== undefined) throw new UsageError("--keytab needs --auth negotiate (Kerberos)");
      if (users === undefined)
        throw new UsageError("--auth ntlm needs --ntlm-users FILE (DOMAIN:user:password lines)");
      credentials = acquire(
        "NTLM",
        { userFile: users, channelBindingPolicy: POLICY[policy] },
        `--ntlm-users ${users}`,
      );
    } else {
      if (values.keytab === undefined && users === undefined)
        throw new UsageError(
          "--auth negotiate needs --keytab FILE (Kerberos) and/or --ntlm-users FILE (NTLM)",
        );
      // The Negotiate package's sub-packages: only those given serve.
      const packages: Record<string, unknown> = {};
      if (values.keytab !== undefined)
        packages.Kerberos = { keytab: values.keytab, channelBindingPolicy: POLICY[policy] };
      if (users !== undefined) packages.NTLM = { userFile: users, channelBindingPolicy: POLICY[policy] };
      credentials = acquire("Negotiate", { packages }, "--auth negotiate");
    }
    const acceptor = await HttpAuthAcceptor.create({
      package: auth === "ntlm" ? "NTLM" : "Negotiate",
      credentials,
      channelBindings: policy !== "never",
    });
    return new HttpAuth(acceptor, policy, log);
  }

  /** The authenticator of one TLS connection (`tlsContext`: its server context). */
  forConnection(tlsContext: CtxtHandle, peer: string): ConnectionAuth {
    const bindings = channelBindingsOf(tlsContext);
    return new ConnectionAuth(
      this.acceptor.forConnection(bindings),
      bindings !== null && this.policy !== "never",
      (line) => this.log(`${peer} ${line}`),
    );
  }

  close(): void {
    FreeCredentialsHandle(this.acceptor.credentials.handle);
  }
}

/** One connection's authentication, answering the responder's requests. */
export class ConnectionAuth implements HttpAuthenticator {
  constructor(
    private readonly auth: HttpConnectionAuth,
    private readonly bound: boolean,
    private readonly log: (line: string) => void,
  ) {}

  async authorize(request: HttpRequest): Promise<HttpAuthResult> {
    const already = this.auth.user !== null;
    const verdict = await this.auth.authorize(request.headers.get("authorization"));
    if (verdict.kind === "challenge") {
      if (verdict.error) this.log(`${verdict.header} refused: ${verdict.error.message}`);
      return { challenge: verdict.header };
    }
    if (!already || verdict.header !== null)
      this.log(
        `${verdict.package} authenticated ${verdict.user}${this.bound ? " (channel bindings checked)" : ""}`,
      );
    return { user: verdict.user, package: verdict.package, header: verdict.header };
  }

  dispose(): void {
    this.auth.dispose();
  }
}
