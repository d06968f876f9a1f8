/**
 * The asynchronous SSPI functions. Each takes an {@link SspiAsyncContext} followed by exactly
 * the parameters of its synchronous counterpart, validates and copies its inputs, and returns
 * **only the status of queueing**: `SEC_E_OK` means queued; the result is read later with
 * {@link SspiGetAsyncCallStatus} (or in the notify callback), once every out-parameter has been
 * written. A call that fails to queue returns its failure here, writes nothing and never calls
 * back; {@link SspiGetLastErrorInfo} says why.
 *
 * Every entry point can also return, at queue time, `SEC_E_INVALID_HANDLE` for a freed or
 * unknown async context and `SEC_E_INVALID_PARAMETER` for a context that is pending or
 * completed and not reinitialized.
 *
 * @module
 */

import {
  prepareAcceptSecurityContext,
  prepareAcquireCredentialsHandle,
  prepareDeleteSecurityContext,
  prepareFreeCredentialsHandle,
  prepareInitializeSecurityContext,
} from "../sspi/establishing-calls.js";
import type { SecHandle } from "../sspi/handles.js";
import type { SECURITY_STATUS } from "../sspi/status.js";
import type { Box, SecBufferDesc, TimeStamp } from "../sspi/types.js";
import { queueAsyncCall, type SspiAsyncContext } from "./async-context.js";

/**
 * Queues AcquireCredentialsHandle.
 *
 * @param pszPrincipal null for Schannel; for NTLM with null `pAuthData`, the user (or
 *   `DOMAIN\user`) whose line of `NTLM_USER_FILE` to use.
 * @param pszPackage package name or alias, case-insensitive ("Schannel", "NTLM").
 * @param fCredentialUse `SECPKG_CRED_OUTBOUND` (client) or `SECPKG_CRED_INBOUND` (server).
 * @param pvLogonId must be null.
 * @param pAuthData package-specific (Schannel: an `SCH_CREDENTIALS` object; NTLM: a
 *   `SEC_WINNT_AUTH_IDENTITY` outbound, an `NtlmAcceptorCredentials` inbound, or null); copied at
 *   queue time.
 * @param pGetKeyFn must be null.
 * @param pvGetKeyArgument must be null.
 * @param phCredential receives the credential handle at completion.
 * @param ptsExpiry receives the credential's expiry at completion (or null).
 * @returns queueing status: `SEC_E_OK`; `SEC_E_SECPKG_NOT_FOUND`; `SEC_E_INVALID_PARAMETER`;
 *   the package's validation failure of `pAuthData` (Schannel: `SEC_E_UNKNOWN_CREDENTIALS`,
 *   `SEC_E_NO_CREDENTIALS`, `SEC_E_INVALID_PARAMETER`…). Completion status: `SEC_E_OK`,
 *   `SEC_E_NO_CREDENTIALS`, `SEC_E_UNKNOWN_CREDENTIALS`, `SEC_E_INSUFFICIENT_MEMORY`,
 *   `SEC_E_INTERNAL_ERROR`.
 */
export function SspiAcquireCredentialsHandleAsync(
  AsyncContext: SspiAsyncContext,
  pszPrincipal: string | null,
  pszPackage: string,
  fCredentialUse: number,
  pvLogonId: unknown,
  pAuthData: unknown,
  pGetKeyFn: unknown,
  pvGetKeyArgument: unknown,
  phCredential: SecHandle,
  ptsExpiry: Box<TimeStamp> | null,
): SECURITY_STATUS {
  return queueAsyncCall(AsyncContext, () =>
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
 * Queues one InitializeSecurityContext step (the client side of a handshake).
 *
 * @param phCredential the credential (required on the first call).
 * @param phContext null on the first call, then the context handle.
 * @param pszTargetName the server name: SNI and certificate name checks for Schannel. A DNS
 *   name is sent as SNI and matched against the certificate's DNS names; an IP address is not
 *   sent and is matched against its IP address SANs. **null checks no name** (the chain is
 *   still validated): Schannel's semantics, kept faithfully here. Pass the name whenever you
 *   know it; the idiomatic `connectTls` refuses to connect without one (docs/security.md).
 * @param fContextReq `ISC_REQ_*` bits (unsigned 32-bit; bits 32+ go in a `SECBUFFER_FLAGS` input buffer).
 * @param Reserved1 must be 0.
 * @param TargetDataRep `SECURITY_NATIVE_DREP` or `SECURITY_NETWORK_DREP` (ignored by Schannel).
 * @param pInput null on the first call (or `SECBUFFER_APPLICATION_PROTOCOLS`), then
 *   `[SECBUFFER_TOKEN(received bytes), SECBUFFER_EMPTY]`. Copied at queue time; the `EMPTY`
 *   buffer becomes `SECBUFFER_EXTRA`/`SECBUFFER_MISSING` at completion.
 * @param Reserved2 must be 0.
 * @param phNewContext receives the context handle (valid from the first completion, whatever
 *   its status; delete it even after a failure).
 * @param pOutput `[SECBUFFER_TOKEN, SECBUFFER_ALERT?, …]`, filled at completion.
 * @param pfContextAttr receives the `ISC_RET_*` bits.
 * @param ptsExpiry receives the context expiry (or null).
 * @returns queueing status: `SEC_E_OK`; `SEC_E_INVALID_HANDLE`; `SEC_E_INVALID_TOKEN`;
 *   `SEC_E_INVALID_PARAMETER` (including non-zero reserved parameters). Completion status:
 *   `SEC_E_OK`, `SEC_I_CONTINUE_NEEDED`, `SEC_I_INCOMPLETE_CREDENTIALS`,
 *   `SEC_E_INCOMPLETE_MESSAGE`, `SEC_E_BUFFER_TOO_SMALL`, or the package's failure
 *   (`SEC_E_UNTRUSTED_ROOT`, `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_EXPIRED`,
 *   `SEC_E_ILLEGAL_MESSAGE`, `SEC_E_ALGORITHM_MISMATCH`, `SEC_E_APPLICATION_PROTOCOL_MISMATCH`, …).
 */
export function SspiInitializeSecurityContextAsync(
  AsyncContext: SspiAsyncContext,
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
): SECURITY_STATUS {
  return queueAsyncCall(AsyncContext, () =>
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

/**
 * Queues one AcceptSecurityContext step (the server side of a handshake).
 *
 * @param phCredential the credential (required on the first call).
 * @param phContext null on the first call, then the context handle.
 * @param pInput `[SECBUFFER_TOKEN(received bytes), SECBUFFER_EMPTY]`; copied at queue time.
 * @param fContextReq `ASC_REQ_*` bits (`ASC_REQ_MUTUAL_AUTH` asks for a client certificate).
 * @param TargetDataRep ignored by Schannel.
 * @param phNewContext receives the context handle (valid from the first completion, whatever
 *   its status; delete it even after a failure).
 * @param pOutput `[SECBUFFER_TOKEN, SECBUFFER_ALERT?, …]`, filled at completion.
 * @param pfContextAttr receives the `ASC_RET_*` bits.
 * @param ptsExpiry receives the context expiry (or null).
 * @returns queueing status as {@link SspiInitializeSecurityContextAsync}. Completion status:
 *   `SEC_E_OK`, `SEC_I_CONTINUE_NEEDED`, `SEC_E_INCOMPLETE_MESSAGE`, `SEC_E_BUFFER_TOO_SMALL`,
 *   or the package's failure.
 */
export function SspiAcceptSecurityContextAsync(
  AsyncContext: SspiAsyncContext,
  phCredential: SecHandle | null,
  phContext: SecHandle | null,
  pInput: SecBufferDesc | null,
  fContextReq: number,
  TargetDataRep: number,
  phNewContext: SecHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: Box<number>,
  ptsExpiry: Box<TimeStamp> | null,
): SECURITY_STATUS {
  return queueAsyncCall(AsyncContext, () =>
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

/**
 * Queues DeleteSecurityContext. The handle is unusable from the moment this returns `SEC_E_OK`.
 * Must be called for every context handle ever returned, including failed handshakes.
 *
 * @returns queueing status: `SEC_E_OK`; `SEC_E_INVALID_HANDLE` (stale, deleted, foreign or
 *   wrong-kind handle). Completion status: `SEC_E_OK`.
 */
export function SspiDeleteSecurityContextAsync(
  AsyncContext: SspiAsyncContext,
  phContext: SecHandle,
): SECURITY_STATUS {
  return queueAsyncCall(AsyncContext, () => prepareDeleteSecurityContext(phContext));
}

/**
 * Queues FreeCredentialsHandle. The handle is unusable from the moment this returns `SEC_E_OK`;
 * contexts created from it keep working until deleted.
 *
 * @returns queueing status: `SEC_E_OK`; `SEC_E_INVALID_HANDLE`. Completion status: `SEC_E_OK`.
 */
export function SspiFreeCredentialsHandleAsync(
  AsyncContext: SspiAsyncContext,
  phCredential: SecHandle,
): SECURITY_STATUS {
  return queueAsyncCall(AsyncContext, () => prepareFreeCredentialsHandle(phCredential));
}
