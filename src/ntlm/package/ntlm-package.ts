/**
 * The NTLM security package (NTLMv2) behind the SSPI surface, selected by the name "NTLM".
 * Every operation is pure computation on the caller's thread — no worker, no native addon — so
 * the blocking SSPI functions run it in the call and the asynchronous ones complete it on the
 * next turn of the event loop. The one thing that may wait is the application's user store
 * (inbound credentials with a `lookup` answering with a Promise), which only the asynchronous
 * AcceptSecurityContext awaits.
 *
 * Credentials (`AcquireCredentialsHandle`):
 * - `SECPKG_CRED_OUTBOUND`: `pAuthData` a `SEC_WINNT_AUTH_IDENTITY` (`{ User, Domain, Password }`
 *   or `NtHash`), or null for the default credentials of `NTLM_USER_FILE` (the line of
 *   `pszPrincipal`'s user, else the first); none → `SEC_E_NO_CREDENTIALS` at completion.
 * - `SECPKG_CRED_INBOUND`: `pAuthData` an {@link NtlmAcceptorCredentials} (user file or lookup
 *   callback, server names, channel-binding policy), or null for `NTLM_USER_FILE`.
 * - `SECPKG_CRED_BOTH` is refused (`SEC_E_INVALID_PARAMETER`): acquire one of each.
 *
 * @module
 */
import { type HostTask, runTask, runTaskBlocking } from "../../sspi/host-task.js";
import { SECPKG_CRED_BOTH, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../../sspi/package-constants.js";
import type {
  AcquireCredentialsRequest,
  AcquireCredentialsResult,
  BlockingPackageOperations,
  ContextRequest,
  ContextResult,
  Outcome,
  PackageObject,
  SecurityPackage,
} from "../../sspi/security-package.js";
import {
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_PARAMETER,
  SEC_E_OK,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
} from "../../sspi/status.js";
import { TIMESTAMP_NEVER } from "../../sspi/timestamp.js";
import type { Box, SecBufferDesc } from "../../sspi/types.js";
import { NtlmError } from "../ntlm-error.js";
import { type AcceptorConfig, acceptorServer, prepareAcceptor } from "./acceptor-credentials.js";
import { type OutboundIdentity, prepareIdentity, resolveIdentity } from "./auth-identity.js";
import { queryNtlmAttribute } from "./context-attributes.js";
import { protectMessage } from "./message-buffers.js";
import {
  NtlmAcceptor,
  type NtlmContext,
  type NtlmCredential,
  NtlmInitiator,
  type Verify,
  verifyAsync,
  verifyBlocking,
} from "./ntlm-context.js";
import { NTLM_PACKAGE_INFO } from "./package-info.js";

/** The copied `pAuthData` between queue time and acquire time. */
type PreparedAuthData =
  | { role: "client"; identity: OutboundIdentity }
  | { role: "server"; config: AcceptorConfig };

const OK: Outcome = { status: SEC_E_OK };

export class NtlmPackage implements SecurityPackage {
  readonly info = NTLM_PACKAGE_INFO;
  readonly aliases = [] as const;

  prepareCredentials(
    principal: string | null,
    credentialUse: number,
    authData: unknown,
  ): Outcome & { authData?: unknown } {
    const use = credentialUse & SECPKG_CRED_BOTH;
    if (use === SECPKG_CRED_OUTBOUND) {
      const { identity, ...outcome } = prepareIdentity(principal, authData);
      return identity
        ? { ...outcome, authData: { role: "client", identity } satisfies PreparedAuthData }
        : outcome;
    }
    if (use === SECPKG_CRED_INBOUND) {
      const { config, ...outcome } = prepareAcceptor(authData);
      return config
        ? { ...outcome, authData: { role: "server", config } satisfies PreparedAuthData }
        : outcome;
    }
    return {
      status: SEC_E_INVALID_PARAMETER,
      reason: "NTLM credentials are SECPKG_CRED_OUTBOUND or SECPKG_CRED_INBOUND (acquire one of each)",
    };
  }

  /** The blocking forms: the same computation, finished inside the call. */
  readonly blocking: BlockingPackageOperations = {
    acquireCredentials: (request) => this.acquire(request),
    freeCredentials: () => OK,
    processContext: (request) => runTaskBlocking(this.processTask(request, verifyBlocking)),
    deleteContext: (context) => this.delete(context),
  };

  acquireCredentials(request: AcquireCredentialsRequest): Promise<AcquireCredentialsResult> {
    return Promise.resolve(this.acquire(request));
  }

  freeCredentials(): Promise<Outcome> {
    return Promise.resolve(OK);
  }

  processContext(request: ContextRequest): Promise<ContextResult> {
    return runTask(this.processTask(request, verifyAsync));
  }

  deleteContext(context: PackageObject): Promise<Outcome> {
    return Promise.resolve(this.delete(context));
  }

  queryContextAttributes(context: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome {
    return queryNtlmAttribute(context as NtlmContext, attribute, pBuffer);
  }

  makeSignature(context: PackageObject, fQOP: number, message: SecBufferDesc): Outcome {
    return protectMessage(context as NtlmContext, "sign", message, fQOP);
  }

  verifySignature(context: PackageObject, message: SecBufferDesc, pfQOP: Box<number> | null): Outcome {
    return protectMessage(context as NtlmContext, "verify", message, 0, pfQOP);
  }

  encryptMessage(context: PackageObject, fQOP: number, message: SecBufferDesc): Outcome {
    return protectMessage(context as NtlmContext, "seal", message, fQOP);
  }

  decryptMessage(context: PackageObject, message: SecBufferDesc, pfQOP: Box<number> | null): Outcome {
    return protectMessage(context as NtlmContext, "unseal", message, 0, pfQOP);
  }

  /** MS-SPNG §3.2.5.1: the direction that made or checked the mechListMIC starts its RC4 over. */
  afterMechListMic(context: PackageObject, direction: "sent" | "verified"): void {
    (context as NtlmContext).established?.session?.resetRc4(direction === "sent" ? "outgoing" : "incoming");
  }

  private acquire(request: AcquireCredentialsRequest): AcquireCredentialsResult {
    const prepared = request.authData as PreparedAuthData;
    try {
      const credential: NtlmCredential =
        prepared.role === "client"
          ? { role: "client", identity: resolveIdentity(prepared.identity) }
          : { role: "server", server: acceptorServer(prepared.config) };
      return { status: SEC_E_OK, credential, expiry: TIMESTAMP_NEVER };
    } catch (e) {
      if (e instanceof NtlmError) return { status: e.status, reason: e.reason, expiry: 0n };
      return { status: SEC_E_INTERNAL_ERROR, reason: "internal error acquiring the credential", expiry: 0n };
    }
  }

  private *processTask(request: ContextRequest, verify: Verify): HostTask<ContextResult> {
    let context = request.context as NtlmContext | null;
    if (context === null) {
      const credential = request.credential as NtlmCredential;
      if (request.role === "initiator" && credential.role === "client")
        context = new NtlmInitiator(credential.identity, request.targetName, request.contextReq);
      else if (request.role === "acceptor" && credential.role === "server")
        context = new NtlmAcceptor(credential.server, request.contextReq);
      else
        return {
          status: SEC_E_WRONG_CREDENTIAL_HANDLE,
          reason: `${request.role === "initiator" ? "InitializeSecurityContext needs an outbound" : "AcceptSecurityContext needs an inbound"} NTLM credential`,
          outputs: [],
          extra: 0,
          missing: 0,
          contextAttr: 0,
          expiry: 0n,
        };
    }
    return yield* context.step(request, verify);
  }

  private delete(context: PackageObject): Outcome {
    (context as NtlmContext).delete();
    return OK;
  }
}
