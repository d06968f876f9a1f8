/**
 * The blocking SSPI establishing functions — `AcquireCredentialsHandle`,
 * `InitializeSecurityContext`, `AcceptSecurityContext`, `DeleteSecurityContext`,
 * `FreeCredentialsHandle` — with the C parameter lists, returning the final status the way
 * Windows SSPI blocks on LSA. Where the work runs is the package's: Schannel's calling thread
 * waits (`Atomics.wait` on a `SharedArrayBuffer`) while a security-service worker runs the TLS
 * engine; NTLM, pure computation, runs in the call on this thread; Kerberos computes on this thread
 * and waits (`Atomics.wait`) on a worker thread for its KDC round trips. Either way a synchronous loop
 * ported from C works unchanged in a CLI or inside a worker thread.
 *
 * **On a server's event loop use the asynchronous functions** (`Sspi*Async` or `promises.*`):
 * while a blocking call waits, this thread runs nothing else — no timers, no I/O, no other
 * connection — for the whole engine step (about 1–1.5 ms per RSA handshake step). The
 * asynchronous functions give the same results without stopping the loop.
 *
 * Behaviour (Schannel; Kerberos uses its own KDC worker, bounded by the KDC timeouts; NTLM needs no
 * worker and its blocking AcceptSecurityContext refuses a user store answering with a Promise,
 * `SEC_E_UNSUPPORTED_FUNCTION`):
 * - Schannel runs the handshake step (`SSL_do_handshake`) synchronously on the calling thread;
 *   packages whose step waits on the network (Kerberos) run it on a worker the caller waits for
 *   with `Atomics.wait`, which never needs the blocked thread, so this cannot deadlock.
 * - Handles are shared with the asynchronous API: a context started by the blocking
 *   `InitializeSecurityContext` can be continued by `SspiInitializeSecurityContextAsync` and the
 *   reverse, and either `DeleteSecurityContext` frees either.
 * - A blocking call on a context with an asynchronous call in flight returns
 *   `SEC_E_INVALID_PARAMETER` (as two overlapping asynchronous calls do); the blocking
 *   `DeleteSecurityContext` of such a context returns `SEC_E_OK` at once and the context is
 *   released when the call in flight completes.
 * - Validation, copying and writeback are those of the asynchronous entry points
 *   (`establishing-calls.ts`), so every status and buffer rewrite is identical.
 * - A worker that dies during the call fails it with `SEC_E_INTERNAL_ERROR` ("security service
 *   worker died: …"); a full worker queue with `SEC_E_INSUFFICIENT_MEMORY`.
 *
 * Node, unlike browsers, allows `Atomics.wait` on the main thread, so these work there too (a CLI
 * is the intended use).
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
} from "./establishing-calls.js";
import type { SecHandle } from "./handles.js";
import type { SECURITY_STATUS } from "./status.js";
import type { Box, SecBufferDesc, TimeStamp } from "./types.js";

function run(prepared: Prepared): SECURITY_STATUS {
  return typeof prepared === "number" ? prepared : prepared.blocking().status;
}

/**
 * AcquireCredentialsHandle, blocking until the security service has built the credential.
 * Prefer `SspiAcquireCredentialsHandleAsync` on an event loop that serves anything else.
 *
 * @param pszPrincipal null for Schannel; for NTLM with null `pAuthData`, the user (or
 *   `DOMAIN\user`) whose line of `NTLM_USER_FILE` to use.
 * @param pszPackage package name or alias, case-insensitive ("Schannel", "NTLM", "Kerberos").
 * @param fCredentialUse `SECPKG_CRED_OUTBOUND` (client) or `SECPKG_CRED_INBOUND` (server).
 * @param pvLogonId must be null.
 * @param pAuthData package-specific (Schannel: an `SCH_CREDENTIALS` object; NTLM: a
 *   `SEC_WINNT_AUTH_IDENTITY` outbound, an `NtlmAcceptorCredentials` inbound, or null;
 *   Kerberos: a `KerberosClientCredentials` outbound, a `KerberosAcceptorCredentials` inbound, or
 *   null — docs/kerberos.md).
 * @param pGetKeyFn must be null.
 * @param pvGetKeyArgument must be null.
 * @param phCredential receives the credential handle.
 * @param ptsExpiry receives the credential's expiry (or null).
 * @returns `SEC_E_OK`; `SEC_E_SECPKG_NOT_FOUND`; `SEC_E_INVALID_PARAMETER`; the package's
 *   validation failure of `pAuthData` (Schannel: `SEC_E_UNKNOWN_CREDENTIALS`,
 *   `SEC_E_NO_CREDENTIALS`, `SEC_E_INVALID_PARAMETER`…); `SEC_E_NO_CREDENTIALS`,
 *   `SEC_E_UNKNOWN_CREDENTIALS`, `SEC_E_ALGORITHM_MISMATCH` from the service;
 *   `SEC_E_INSUFFICIENT_MEMORY` (worker queue full); `SEC_E_INTERNAL_ERROR` (worker died).
 *   `SspiGetLastErrorInfo` explains failures.
 */
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
): SECURITY_STATUS {
  return run(
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
 * One InitializeSecurityContext step (client side), blocking until the engine step has run.
 * Prefer `SspiInitializeSecurityContextAsync` on an event loop that serves anything else.
 * Parameters as the asynchronous form (without the async context). As on Windows, a null
 * `pszTargetName` checks no certificate name (the chain is still validated).
 *
 * @returns `SEC_E_OK`, `SEC_I_CONTINUE_NEEDED`, `SEC_I_INCOMPLETE_CREDENTIALS`,
 *   `SEC_E_INCOMPLETE_MESSAGE`, `SEC_E_BUFFER_TOO_SMALL`; argument failures
 *   (`SEC_E_INVALID_HANDLE`, `SEC_E_INVALID_TOKEN`, `SEC_E_INVALID_PARAMETER` — also for a context
 *   with an asynchronous call in flight); the package's failure (`SEC_E_UNTRUSTED_ROOT`,
 *   `SEC_E_WRONG_PRINCIPAL`, `SEC_E_CERT_EXPIRED`, `SEC_E_ILLEGAL_MESSAGE`,
 *   `SEC_E_ALGORITHM_MISMATCH`, `SEC_E_APPLICATION_PROTOCOL_MISMATCH`, …);
 *   `SEC_E_UNSUPPORTED_FUNCTION` (a custom security service without a blocking face);
 *   `SEC_E_INTERNAL_ERROR` (a waited-for worker died).
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
): SECURITY_STATUS {
  return run(
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
 * One AcceptSecurityContext step (server side), blocking until the engine step has run.
 * Prefer `SspiAcceptSecurityContextAsync` on a server's event loop. Parameters as the
 * asynchronous form (without the async context).
 *
 * @returns `SEC_E_OK`, `SEC_I_CONTINUE_NEEDED`, `SEC_E_INCOMPLETE_MESSAGE`,
 *   `SEC_E_BUFFER_TOO_SMALL`; argument failures as {@link InitializeSecurityContext}; the
 *   package's failure; `SEC_E_UNSUPPORTED_FUNCTION`, `SEC_E_INSUFFICIENT_MEMORY`,
 *   `SEC_E_INTERNAL_ERROR` as there.
 */
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
): SECURITY_STATUS {
  return run(
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
 * DeleteSecurityContext, blocking until the engine is released (it never waits for a step).
 * Must be called for every context handle ever returned, including failed handshakes.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE` (stale, deleted, foreign or wrong-kind handle).
 */
export function DeleteSecurityContext(phContext: SecHandle): SECURITY_STATUS {
  return run(prepareDeleteSecurityContext(phContext));
}

/**
 * FreeCredentialsHandle. Contexts created from the credential keep working until deleted.
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE`.
 */
export function FreeCredentialsHandle(phCredential: SecHandle): SECURITY_STATUS {
  return run(prepareFreeCredentialsHandle(phCredential));
}
