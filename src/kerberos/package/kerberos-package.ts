/**
 * The Kerberos security package behind the SSPI surface, selected by the name "Kerberos".
 *
 * - Credentials: outbound `pAuthData` a `SEC_WINNT_AUTH_IDENTITY` (password → AS exchange), the
 *   same with `Keytab`, or null for MIT's credential cache ({@link KerberosClientCredentials});
 *   inbound a {@link KerberosAcceptorCredentials} (keytab, replay cache, channel-binding policy)
 *   or null for `KRB5_KTNAME`. `SECPKG_CRED_BOTH` is refused (`SEC_E_INVALID_PARAMETER`).
 *   Credentials never expire by themselves (`TIMESTAMP_NEVER`; tickets are renewed from the
 *   password or keytab, or come from the cache until it expires).
 * - Where a step runs: the initiator's first step waits on the KDC. The asynchronous calls run it
 *   on the caller's event loop with asynchronous sockets (never blocking it); the blocking
 *   InitializeSecurityContext waits in `Atomics.wait` while a worker thread does the KDC round
 *   trips. Everything else is computation on the caller's thread.
 *
 * @module
 */

import { SECPKG_CRED_ATTR_NAMES } from "../../sspi/attributes.js";
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
  SEC_E_INVALID_PARAMETER,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
} from "../../sspi/status.js";
import { TIMESTAMP_NEVER } from "../../sspi/timestamp.js";
import type { Box, SecBufferDesc } from "../../sspi/types.js";
import { type KdcSend, sendToKdc } from "../client/kdc-transport.js";
import { sendToKdcBlocking } from "../client/kdc-transport-blocking.js";
import { formatPrincipal } from "../principal.js";
import { statusForKerberosError } from "../status-mapping.js";
import {
  acquireAcceptor,
  type KerberosAcceptorCredential,
  type PreparedAcceptor,
  prepareAcceptor,
} from "./acceptor-credential.js";
import { KerberosClientCredential, type PreparedClient, prepareClient } from "./client-credential.js";
import { queryKerberosAttribute } from "./context-attributes.js";
import { KerberosAcceptor, type KerberosContext, KerberosInitiator } from "./kerberos-context.js";
import { protectMessage } from "./message-buffers.js";
import { KERBEROS_PACKAGE_INFO } from "./package-info.js";

/** The copied `pAuthData` between queue time and acquire time. */
type PreparedAuthData =
  | { readonly role: "client"; readonly client: PreparedClient }
  | { readonly role: "server"; readonly server: PreparedAcceptor };

/** An acquired credential. */
type KerberosCredentialObject =
  | { readonly role: "client"; readonly client: KerberosClientCredential }
  | { readonly role: "server"; readonly server: KerberosAcceptorCredential };

const OK: Outcome = { status: SEC_E_OK };
const invalid = (reason: string): Outcome => ({ status: SEC_E_INVALID_PARAMETER, reason });

export class KerberosPackage implements SecurityPackage {
  readonly info = KERBEROS_PACKAGE_INFO;
  readonly aliases = [] as const;

  prepareCredentials(
    principal: string | null,
    credentialUse: number,
    authData: unknown,
  ): Outcome & { authData?: unknown } {
    const use = credentialUse & SECPKG_CRED_BOTH;
    if (use === SECPKG_CRED_OUTBOUND) {
      const client = prepareClient(authData);
      if (typeof client === "string") return invalid(client);
      return { status: SEC_E_OK, authData: { role: "client", client } satisfies PreparedAuthData };
    }
    if (use === SECPKG_CRED_INBOUND) {
      const server = prepareAcceptor(principal, authData);
      if (typeof server === "string") return invalid(server);
      return { status: SEC_E_OK, authData: { role: "server", server } satisfies PreparedAuthData };
    }
    return invalid(
      "Kerberos credentials are SECPKG_CRED_OUTBOUND or SECPKG_CRED_INBOUND (acquire one of each)",
    );
  }

  /** The blocking forms: KDC round trips wait on a worker (`Atomics.wait`). */
  readonly blocking: BlockingPackageOperations = {
    acquireCredentials: (request) => this.acquire(request),
    freeCredentials: () => OK,
    processContext: (request) => runTaskBlocking(this.processTask(request, sendToKdcBlocking)),
    deleteContext: (context) => this.delete(context),
  };

  acquireCredentials(request: AcquireCredentialsRequest): Promise<AcquireCredentialsResult> {
    return Promise.resolve(this.acquire(request));
  }

  freeCredentials(): Promise<Outcome> {
    return Promise.resolve(OK);
  }

  processContext(request: ContextRequest): Promise<ContextResult> {
    return runTask(this.processTask(request, sendToKdc));
  }

  deleteContext(context: PackageObject): Promise<Outcome> {
    return Promise.resolve(this.delete(context));
  }

  /**
   * `SECPKG_CRED_ATTR_NAMES`: `{ sUserName }`, the client principal of an outbound credential
   * (`alice@EXAMPLE.TEST`, also when it came from the credential cache) or the first service
   * principal of an inbound one's keytab. Other attributes: `SEC_E_UNSUPPORTED_FUNCTION`.
   */
  queryCredentialsAttributes(credential: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome {
    if (attribute !== SECPKG_CRED_ATTR_NAMES)
      return {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: `credential attribute ${attribute} is not supported by Kerberos`,
      };
    const c = credential as KerberosCredentialObject;
    const principal = c.role === "client" ? c.client.client : c.server.keytab[0]!.principal;
    pBuffer.value = { sUserName: formatPrincipal(principal) };
    return OK;
  }

  queryContextAttributes(context: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome {
    return queryKerberosAttribute(context as KerberosContext, attribute, pBuffer);
  }

  makeSignature(context: PackageObject, fQOP: number, message: SecBufferDesc): Outcome {
    return protectMessage(context as KerberosContext, "sign", message, fQOP);
  }

  verifySignature(context: PackageObject, message: SecBufferDesc, pfQOP: Box<number> | null): Outcome {
    return protectMessage(context as KerberosContext, "verify", message, 0, pfQOP);
  }

  encryptMessage(context: PackageObject, fQOP: number, message: SecBufferDesc): Outcome {
    return protectMessage(context as KerberosContext, "seal", message, fQOP);
  }

  decryptMessage(context: PackageObject, message: SecBufferDesc, pfQOP: Box<number> | null): Outcome {
    return protectMessage(context as KerberosContext, "unseal", message, 0, pfQOP);
  }

  private acquire(request: AcquireCredentialsRequest): AcquireCredentialsResult {
    const prepared = request.authData as PreparedAuthData;
    try {
      const credential: KerberosCredentialObject =
        prepared.role === "client"
          ? { role: "client", client: KerberosClientCredential.acquire(prepared.client) }
          : { role: "server", server: acquireAcceptor(prepared.server) };
      return { status: SEC_E_OK, credential, expiry: TIMESTAMP_NEVER };
    } catch (e) {
      const mapped = statusForKerberosError(e);
      return { status: mapped.status, reason: mapped.reason, expiry: 0n };
    }
  }

  private *processTask(request: ContextRequest, send: KdcSend): HostTask<ContextResult> {
    let context = request.context as KerberosContext | null;
    if (context === null) {
      const credential = request.credential as KerberosCredentialObject;
      if (request.role === "initiator" && credential.role === "client")
        context = new KerberosInitiator(credential.client, request.targetName, request.contextReq);
      else if (request.role === "acceptor" && credential.role === "server")
        context = new KerberosAcceptor(credential.server, request.contextReq);
      else
        return {
          status: SEC_E_WRONG_CREDENTIAL_HANDLE,
          reason: `${request.role === "initiator" ? "InitializeSecurityContext needs an outbound" : "AcceptSecurityContext needs an inbound"} Kerberos credential`,
          outputs: [],
          extra: 0,
          missing: 0,
          contextAttr: 0,
          expiry: 0n,
        };
    }
    return yield* context.step(request, send);
  }

  private delete(context: PackageObject): Outcome {
    (context as KerberosContext).delete();
    return OK;
  }
}
