/**
 * NTLM over HTTP for `async-sspi serve --http --auth ntlm` (connection-based, as IIS does it):
 * a request without credentials gets `401` + `WWW-Authenticate: NTLM`; `Authorization: NTLM
 * <NEGOTIATE>` gets `401` + `WWW-Authenticate: NTLM <CHALLENGE>` on the same kept-alive
 * connection; `Authorization: NTLM <AUTHENTICATE>` authenticates the connection, and every later
 * request on it is served with the user shown. A failure answers `401` + `WWW-Authenticate: NTLM`
 * again (the status only in the log).
 *
 * The tokens go through the SSPI surface: one inbound NTLM credential (`--ntlm-users FILE`, the
 * `--channel-binding` policy) and one AcceptSecurityContext context per connection, whose input
 * carries this TLS connection's `SECPKG_ATTR_ENDPOINT_BINDINGS`. The blocking
 * AcceptSecurityContext is used: NTLM with a user file is pure computation on this thread.
 *
 * @module
 */
import "../ntlm/register.js";
import { SECPKG_ATTR_ENDPOINT_BINDINGS, SECPKG_ATTR_NAMES } from "../sspi/attributes.js";
import {
  AcceptSecurityContext,
  AcquireCredentialsHandle,
  DeleteSecurityContext,
  FreeCredentialsHandle,
} from "../sspi/blocking-calls.js";
import { SECBUFFER_TOKEN } from "../sspi/buffer-types.js";
import { channelBindingsBuffer, type SEC_CHANNEL_BINDINGS } from "../sspi/channel-bindings.js";
import { ASC_REQ_CONNECTION, ASC_REQ_INTEGRITY } from "../sspi/context-flags.js";
import { QueryContextAttributes } from "../sspi/context-functions.js";
import { CredHandle, CtxtHandle, type SecHandle, SecIsValidHandle } from "../sspi/handles.js";
import { SspiGetLastErrorInfo } from "../sspi/last-error.js";
import { SECPKG_CRED_INBOUND } from "../sspi/package-constants.js";
import { SEC_E_OK, SEC_I_CONTINUE_NEEDED, statusName } from "../sspi/status.js";
import { box, type SecBuffer, secBuffer, secBufferDesc } from "../sspi/types.js";
import type { HttpAuthenticator, HttpRequest } from "./http-responder.js";
import { UsageError } from "./tls-flags.js";

/** The `serve` options this file adds (spread into its `parseArgs` options). */
export const ntlmAuthFlags = {
  auth: { type: "string" },
  "ntlm-users": { type: "string" },
  "channel-binding": { type: "string" },
} as const;

/** Their lines of `serve --help`. */
export const ntlmAuthUsage = [
  "  --auth ntlm              ask every HTTP client for NTLM (WWW-Authenticate: NTLM) through the",
  "                           NTLM SSPI package; the page shows the authenticated user",
  "  --ntlm-users FILE        the users: DOMAIN:user:password lines (gss-ntlmssp's NTLM_USER_FILE)",
  "  --channel-binding P      never | allow (default) | require: this TLS connection's",
  "                           tls-server-end-point binding (Extended Protection Off/Accept/Required)",
];

const POLICY = { never: "never", allow: "when-supported", require: "required" } as const;

/** NTLM authentication for the connections of one server. */
export class NtlmHttpAuth {
  private constructor(
    private readonly credential: CredHandle,
    readonly policy: keyof typeof POLICY,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * The NTLM authentication the flags ask for, or null without `--auth`. `log` gets one line per
   * authentication (the user, or the failure's status and reason).
   *
   * @throws UsageError for a bad combination or a user file that cannot be used.
   */
  static fromFlags(
    values: { auth?: string; "ntlm-users"?: string; "channel-binding"?: string },
    log: (line: string) => void,
  ): NtlmHttpAuth | null {
    if (values.auth === undefined) {
      if (values["ntlm-users"] !== undefined || values["channel-binding"] !== undefined)
        throw new UsageError("--ntlm-users and --channel-binding need --auth ntlm");
      return null;
    }
    if (values.auth.toLowerCase() !== "ntlm")
      throw new UsageError(`--auth: "${values.auth}" is not supported (ntlm)`);
    const file = values["ntlm-users"];
    if (file === undefined)
      throw new UsageError("--auth ntlm needs --ntlm-users FILE (DOMAIN:user:password lines)");
    const policy = values["channel-binding"] ?? "allow";
    if (!(policy in POLICY))
      throw new UsageError(`--channel-binding: "${policy}" is not never, allow or require`);
    const credential = new CredHandle();
    const status = AcquireCredentialsHandle(
      null,
      "NTLM",
      SECPKG_CRED_INBOUND,
      null,
      { userFile: file, channelBindingPolicy: POLICY[policy as keyof typeof POLICY] },
      null,
      null,
      credential,
      null,
    );
    if (status !== SEC_E_OK)
      throw new UsageError(`--ntlm-users ${file}: ${SspiGetLastErrorInfo()?.reason ?? statusName(status)}`);
    return new NtlmHttpAuth(credential, policy as keyof typeof POLICY, log);
  }

  /** The authenticator of one TLS connection (`tlsContext`: its server context). */
  forConnection(tlsContext: SecHandle, peer: string): NtlmConnectionAuth {
    const bindings = box<{ Bindings: SEC_CHANNEL_BINDINGS } | null>(null);
    const status = QueryContextAttributes(tlsContext, SECPKG_ATTR_ENDPOINT_BINDINGS, bindings);
    return new NtlmConnectionAuth(
      this.credential,
      status === SEC_E_OK && bindings.value ? channelBindingsBuffer(bindings.value.Bindings) : null,
      (line) => this.log(`${peer} NTLM ${line}`),
    );
  }

  close(): void {
    FreeCredentialsHandle(this.credential);
  }
}

const CHALLENGE_ANEW = "NTLM";

/** One connection's NTLM state: its AcceptSecurityContext context and, once done, the user. */
export class NtlmConnectionAuth implements HttpAuthenticator {
  private context = new CtxtHandle();
  private user: string | null = null;

  constructor(
    private readonly credential: CredHandle,
    private readonly bindings: SecBuffer | null,
    private readonly log: (line: string) => void,
  ) {}

  authorize(request: HttpRequest): { user: string } | { challenge: string } {
    if (this.user !== null) return { user: this.user };
    const header = request.headers.get("authorization") ?? "";
    const match = /^NTLM\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) return { challenge: CHALLENGE_ANEW };
    const token = new Uint8Array(Buffer.from(match[1]!, "base64"));
    // A NEGOTIATE (type 1) starts over on a new context.
    if (token[8] === 1) this.reset();
    const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN, 2888));
    const input = secBufferDesc(secBuffer(SECBUFFER_TOKEN, token), ...(this.bindings ? [this.bindings] : []));
    const first = !SecIsValidHandle(this.context);
    const status = AcceptSecurityContext(
      first ? this.credential : null,
      first ? null : this.context,
      input,
      ASC_REQ_CONNECTION | ASC_REQ_INTEGRITY,
      0,
      this.context,
      output,
      box(0),
      null,
    );
    if (status === SEC_I_CONTINUE_NEEDED) {
      const out = output.pBuffers[0]!;
      return { challenge: `NTLM ${Buffer.from(out.pvBuffer!.subarray(0, out.cbBuffer)).toString("base64")}` };
    }
    if (status === SEC_E_OK) {
      const names = box<{ sUserName: string } | null>(null);
      if (QueryContextAttributes(this.context, SECPKG_ATTR_NAMES, names) === SEC_E_OK && names.value) {
        this.user = names.value.sUserName;
        this.log(`authenticated ${this.user}${this.bindings ? " (channel bindings checked)" : ""}`);
        return { user: this.user };
      }
    }
    this.log(
      `refused: ${SspiGetLastErrorInfo(this.context)?.message ?? statusName(status) ?? String(status)}`,
    );
    this.reset();
    return { challenge: CHALLENGE_ANEW };
  }

  dispose(): void {
    this.reset();
  }

  private reset(): void {
    if (SecIsValidHandle(this.context)) DeleteSecurityContext(this.context);
    this.context = new CtxtHandle();
  }
}
