/**
 * The asynchronous SSPI calls in promise form: the same parameters as the synchronous
 * functions (no async context), the same validation and the same out-parameter writes, built
 * on the same async-context machinery. Each promise resolves to the call's final
 * `SECURITY_STATUS` — the queue-time failure if it could not be queued — and never rejects.
 *
 * ```ts
 * import { promises as sspi } from "async-sspi";
 * const status = await sspi.AcquireCredentialsHandle(null, "Schannel", SECPKG_CRED_OUTBOUND, null, auth, null, null, hCred, null);
 * ```
 *
 * @module
 */

import {
  type Prepared,
  prepareAcceptSecurityContext,
  prepareAcquireCredentialsHandle,
  prepareDeleteSecurityContext,
  prepareFreeCredentialsHandle,
  prepareInitializeSecurityContext,
} from "../sspi/establishing-calls.js";
import type { SecHandle } from "../sspi/handles.js";
import { SEC_E_OK, type SECURITY_STATUS } from "../sspi/status.js";
import type { Box, SecBufferDesc, TimeStamp } from "../sspi/types.js";
import {
  queueAsyncCall,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiSetAsyncNotifyCallback,
} from "./async-context.js";

function run(prepare: () => Prepared): Promise<SECURITY_STATUS> {
  const ctx = SspiCreateAsyncContext();
  return new Promise<SECURITY_STATUS>((resolve) => {
    SspiSetAsyncNotifyCallback(ctx, (done) => {
      const status = SspiGetAsyncCallStatus(done);
      SspiFreeAsyncContext(done);
      resolve(status);
    });
    const queued = queueAsyncCall(ctx, prepare);
    if (queued !== SEC_E_OK) {
      SspiFreeAsyncContext(ctx);
      resolve(queued);
    }
  });
}

/** AcquireCredentialsHandle; resolves to its final status (see {@link SspiAcquireCredentialsHandleAsync}). */
export function AcquireCredentialsHandle(
  pszPrincipal: string | null,
  pszPackage: string,
  fCredentialUse: number,
  pvLogonId: unknown,
  pAuthData: unknown,
  pGetKeyFn: unknown,
  pvGetKeyArgument: unknown,
  phCredential: SecHandle,
  ptsExpiry: Box<TimeStamp> | null,
): Promise<SECURITY_STATUS> {
  return run(() =>
    prepareAcquireCredentialsHandle(
      pszPrincipal,
      pszPackage,
      fCredentialUse,
      pvLogonId,
      pAuthData,
      pGetKeyFn,
      pvGetKeyArgument,
      phCredential,
      ptsExpiry,
    ),
  );
}

/**
 * InitializeSecurityContext; resolves to its final status (see {@link SspiInitializeSecurityContextAsync}).
 * As on Windows, a null `pszTargetName` checks no certificate name (the chain is still validated).
 */
export function InitializeSecurityContext(
  phCredential: SecHandle | null,
  phContext: SecHandle | null,
  pszTargetName: string | null,
  fContextReq: number,
  Reserved1: number,
  TargetDataRep: number,
  pInput: SecBufferDesc | null,
  Reserved2: number,
  phNewContext: SecHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: Box<number>,
  ptsExpiry: Box<TimeStamp> | null,
): Promise<SECURITY_STATUS> {
  return run(() =>
    prepareInitializeSecurityContext(
      phCredential,
      phContext,
      pszTargetName,
      fContextReq,
      Reserved1,
      TargetDataRep,
      pInput,
      Reserved2,
      phNewContext,
      pOutput,
      pfContextAttr,
      ptsExpiry,
    ),
  );
}

/** AcceptSecurityContext; resolves to its final status (see {@link SspiAcceptSecurityContextAsync}). */
export function AcceptSecurityContext(
  phCredential: SecHandle | null,
  phContext: SecHandle | null,
  pInput: SecBufferDesc | null,
  fContextReq: number,
  TargetDataRep: number,
  phNewContext: SecHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: Box<number>,
  ptsExpiry: Box<TimeStamp> | null,
): Promise<SECURITY_STATUS> {
  return run(() =>
    prepareAcceptSecurityContext(
      phCredential,
      phContext,
      pInput,
      fContextReq,
      TargetDataRep,
      phNewContext,
      pOutput,
      pfContextAttr,
      ptsExpiry,
    ),
  );
}

/** DeleteSecurityContext; resolves to its final status. */
export function DeleteSecurityContext(phContext: SecHandle): Promise<SECURITY_STATUS> {
  return run(() => prepareDeleteSecurityContext(phContext));
}

/** FreeCredentialsHandle; resolves to its final status. */
export function FreeCredentialsHandle(phCredential: SecHandle): Promise<SECURITY_STATUS> {
  return run(() => prepareFreeCredentialsHandle(phCredential));
}
