/**
 * The Negotiate security package (SPNEGO, RFC 4178 and MS-SPNG) behind the SSPI surface,
 * selected by the name "Negotiate". It chooses between the Kerberos and NTLM packages — found
 * by name in the package registry, so Negotiate works with whichever is installed — and runs
 * the chosen one's steps inside SPNEGO tokens. Its own work (DER, choosing, the mechListMIC) is
 * computation on the caller's thread; a step waits only where the chosen package waits (a KDC).
 *
 * Credentials: see {@link prepareNegotiateCredentials} (`negotiate-credential.ts`); contexts:
 * {@link NegotiateContext}. Message functions (MakeSignature, VerifySignature, EncryptMessage,
 * DecryptMessage) and all attributes but the negotiation's own go to the chosen package's
 * context.
 *
 * @module
 */
import { type HostTask, runTask, runTaskBlocking } from "../sspi/host-task.js";
import type {
  AcquireCredentialsRequest,
  AcquireCredentialsResult,
  BlockingPackageOperations,
  ContextRequest,
  ContextResult,
  Outcome,
  PackageObject,
  SecurityPackage,
} from "../sspi/security-package.js";
import {
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
} from "../sspi/status.js";
import type { Box, SecBufferDesc } from "../sspi/types.js";
import { queryNegotiateAttribute } from "./context-attributes.js";
import { NegotiateContext, type ProcessCall } from "./negotiate-context.js";
import {
  type AcquireCall,
  acquireNegotiateCredentials,
  freeNegotiateCredentials,
  type NegotiateCredential,
  prepareNegotiateCredentials,
} from "./negotiate-credential.js";
import { NEGOTIATE_PACKAGE_INFO } from "./package-info.js";

const OK: Outcome = { status: SEC_E_OK };
const noBlocking = (pkg: SecurityPackage) => ({
  status: SEC_E_UNSUPPORTED_FUNCTION,
  reason: `the ${pkg.info.Name} package has no blocking form`,
});

const acquireAsync: AcquireCall = (pkg, request) => pkg.acquireCredentials(request);
const acquireBlocking: AcquireCall = (pkg, request) =>
  pkg.blocking?.acquireCredentials(request) ?? { ...noBlocking(pkg), expiry: 0n };
const processAsync: ProcessCall = (pkg, request) => pkg.processContext(request);
const processBlocking: ProcessCall = (pkg, request) =>
  pkg.blocking?.processContext(request) ?? {
    ...noBlocking(pkg),
    outputs: [],
    extra: 0,
    missing: 0,
    contextAttr: 0,
    expiry: 0n,
  };

type Protect = "makeSignature" | "verifySignature" | "encryptMessage" | "decryptMessage";

export class NegotiatePackage implements SecurityPackage {
  readonly info = NEGOTIATE_PACKAGE_INFO;
  readonly aliases = [] as const;

  prepareCredentials(
    principal: string | null,
    credentialUse: number,
    authData: unknown,
  ): Outcome & { authData?: unknown } {
    return prepareNegotiateCredentials(principal, credentialUse, authData);
  }

  readonly blocking: BlockingPackageOperations = {
    acquireCredentials: (request) => runTaskBlocking(acquireNegotiateCredentials(request, acquireBlocking)),
    freeCredentials: (credential) =>
      runTaskBlocking(
        freeNegotiateCredentials(
          credential as NegotiateCredential,
          (pkg, c) => pkg.blocking?.freeCredentials(c) ?? OK,
        ),
      ),
    processContext: (request) => runTaskBlocking(this.processTask(request, processBlocking)),
    deleteContext: (context) => runTaskBlocking(this.deleteTask(context, true)),
  };

  acquireCredentials(request: AcquireCredentialsRequest): Promise<AcquireCredentialsResult> {
    return runTask(acquireNegotiateCredentials(request, acquireAsync));
  }

  freeCredentials(credential: PackageObject): Promise<Outcome> {
    return runTask(
      freeNegotiateCredentials(credential as NegotiateCredential, (pkg, c) => pkg.freeCredentials(c)),
    );
  }

  processContext(request: ContextRequest): Promise<ContextResult> {
    return runTask(this.processTask(request, processAsync));
  }

  deleteContext(context: PackageObject): Promise<Outcome> {
    return runTask(this.deleteTask(context, false));
  }

  queryContextAttributes(context: PackageObject, attribute: number, pBuffer: Box<unknown>): Outcome {
    return queryNegotiateAttribute(context as NegotiateContext, attribute, pBuffer);
  }

  makeSignature(context: PackageObject, fQOP: number, message: SecBufferDesc, seqNo: number): Outcome {
    return this.protect(context, "makeSignature", (pkg, c) => pkg.makeSignature?.(c, fQOP, message, seqNo));
  }

  verifySignature(
    context: PackageObject,
    message: SecBufferDesc,
    pfQOP: Box<number> | null,
    seqNo: number,
  ): Outcome {
    return this.protect(context, "verifySignature", (pkg, c) =>
      pkg.verifySignature?.(c, message, pfQOP, seqNo),
    );
  }

  encryptMessage(context: PackageObject, fQOP: number, message: SecBufferDesc, seqNo: number): Outcome {
    return this.protect(context, "encryptMessage", (pkg, c) => pkg.encryptMessage?.(c, fQOP, message, seqNo));
  }

  decryptMessage(
    context: PackageObject,
    message: SecBufferDesc,
    pfQOP: Box<number> | null,
    seqNo: number,
  ): Outcome {
    return this.protect(context, "decryptMessage", (pkg, c) =>
      pkg.decryptMessage?.(c, message, pfQOP, seqNo),
    );
  }

  /** A message function on the chosen package's established context. */
  private protect(
    context: PackageObject,
    what: Protect,
    run: (pkg: SecurityPackage, context: PackageObject) => Outcome | undefined,
  ): Outcome {
    const negotiate = context as NegotiateContext;
    const mech = negotiate.mech;
    if (!negotiate.complete || mech === null || mech.context === null)
      return { status: SEC_E_INVALID_HANDLE, reason: "the Negotiate context is not established" };
    return (
      run(mech.pkg, mech.context) ?? {
        status: SEC_E_UNSUPPORTED_FUNCTION,
        reason: `${mech.name} does not implement ${what}`,
      }
    );
  }

  private *processTask(request: ContextRequest, call: ProcessCall): HostTask<ContextResult> {
    let context = request.context as NegotiateContext | null;
    if (context === null) {
      const credential = request.credential as NegotiateCredential;
      if (credential.role !== request.role)
        return {
          status: SEC_E_WRONG_CREDENTIAL_HANDLE,
          reason: `${request.role === "initiator" ? "InitializeSecurityContext needs an outbound" : "AcceptSecurityContext needs an inbound"} Negotiate credential`,
          outputs: [],
          extra: 0,
          missing: 0,
          contextAttr: 0,
          expiry: 0n,
        };
      context = new NegotiateContext(request.role, credential, request);
    }
    return yield* context.step(request, call);
  }

  /** Deletes the chosen package's context and every one given up on the way. */
  private *deleteTask(context: PackageObject, blocking: boolean): HostTask<Outcome> {
    const negotiate = context as NegotiateContext;
    const mechs = [...negotiate.abandoned, ...(negotiate.mech ? [negotiate.mech] : [])];
    for (const mech of mechs) {
      if (mech.context === null) continue;
      const c = mech.context;
      mech.context = null;
      if (blocking) mech.pkg.blocking?.deleteContext(c);
      else yield mech.pkg.deleteContext(c);
    }
    return OK;
  }
}
