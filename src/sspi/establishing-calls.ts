/**
 * The five establishing calls — AcquireCredentialsHandle, InitializeSecurityContext,
 * AcceptSecurityContext, DeleteSecurityContext, FreeCredentialsHandle — as "prepare" functions
 * shared by every front door (the `Sspi*Async` entry points, their promise forms and, later,
 * the blocking functions).
 *
 * A prepare function runs when the call is queued: it validates every argument and copies the
 * inputs (strings, `pAuthData`, input bytes), then returns either a failure status (nothing
 * queued) or the operation. The operation talks to the package and, at completion, writes the
 * handles, boxes, output buffers and `EXTRA`/`MISSING` rewrites before it resolves.
 *
 * The operation is one body (a host task, `host-task.ts`) run two ways: called, it
 * awaits the package's asynchronous operations; its `blocking()` form calls the package's
 * blocking operations ({@link SecurityPackage.blocking}) and finishes inside the call — the
 * blocking SSPI functions use it, so validation and writeback are never forked.
 *
 * @module
 */

import { bufferKind, SECBUFFER_TOKEN } from "./buffer-types.js";
import { copyInputBuffers, isUint32, validateBufferDesc } from "./buffer-validation.js";
import { ISC_REQ_ALLOCATE_MEMORY } from "./context-flags.js";
import { snapshotInput, writeInputResult, writeOutputResult } from "./context-writeback.js";
import {
  allocateHandle,
  attachHandle,
  type ContextEntry,
  type CredentialEntry,
  type ErrorInfo,
  lookupHandle,
  releaseHandle,
} from "./handle-table.js";
import type { SecHandle } from "./handles.js";
import { type HostTask, reply, runTask, runTaskBlocking, WouldWaitError } from "./host-task.js";
import { recordError } from "./last-error.js";
import { findSecurityPackage, unavailableReasonOf } from "./package-registry.js";
import type {
  BlockingPackageOperations,
  ContextResult,
  Outcome,
  SecurityPackage,
} from "./security-package.js";
import {
  FAILED,
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_SECPKG_NOT_FOUND,
  SEC_E_UNSUPPORTED_FUNCTION,
  type SECURITY_STATUS,
} from "./status.js";
import type { Box, SecBufferDesc, TimeStamp } from "./types.js";

/** What a queued call reports at completion. */
export interface Completion {
  status: SECURITY_STATUS;
  error: ErrorInfo | null;
}

/**
 * A validated call: calling it runs it asynchronously; `blocking()` runs it in this call on the
 * package's blocking operations (see the module comment).
 */
export type PreparedCall = (() => Promise<Completion>) & { blocking(): Completion };

/** A prepared call: a failure status, or the operation to run. */
export type Prepared = SECURITY_STATUS | PreparedCall;

/** The package operations a body calls: the asynchronous ones, or the blocking ones. */
type PackageOperations = SecurityPackage | BlockingPackageOperations;

/**
 * Makes the two forms of an operation from its body. `body(ops)` gets the package's asynchronous
 * operations or, for `blocking()`, its blocking ones; a package without blocking operations
 * completes with `SEC_E_UNSUPPORTED_FUNCTION`.
 */
function operation(
  op: string,
  pkg: SecurityPackage,
  body: (ops: PackageOperations, blocking: boolean) => HostTask<Completion>,
): PreparedCall {
  const run = () => runTask(body(pkg, false));
  const blocking = (): Completion => {
    try {
      return runTaskBlocking(body(pkg.blocking ?? unsupportedOperations(pkg), true));
    } catch (err) {
      const reason =
        err instanceof WouldWaitError
          ? err.message
          : `internal error: ${err instanceof Error ? err.message : String(err)}`;
      return completion(op, { status: SEC_E_INTERNAL_ERROR, reason }, []);
    }
  };
  return Object.assign(run, { blocking });
}

/** Blocking operations of a package that has none: each answers `SEC_E_UNSUPPORTED_FUNCTION`. */
function unsupportedOperations(pkg: SecurityPackage): BlockingPackageOperations {
  const outcome = { status: SEC_E_UNSUPPORTED_FUNCTION, reason: `${pkg.info.Name} has no blocking calls` };
  return {
    acquireCredentials: () => ({ ...outcome, expiry: 0n }),
    freeCredentials: () => outcome,
    processContext: () => ({ ...outcome, outputs: [], extra: 0, missing: 0, contextAttr: 0, expiry: 0n }),
    deleteContext: () => outcome,
  };
}

function isBox(value: unknown): value is Box<unknown> {
  return typeof value === "object" && value !== null;
}

function isHandleObject(value: unknown): value is SecHandle {
  return typeof value === "object" && value !== null;
}

function optionalString(value: unknown): value is string | null | undefined {
  return value === null || value === undefined || typeof value === "string";
}

/** Records a failure's details and returns it as a queue-time status. */
function reject(operation: string, status: SECURITY_STATUS, reason: string): SECURITY_STATUS {
  recordError({ operation, status, reason });
  return status;
}

function completion(
  operation: string,
  outcome: Outcome,
  entries: Array<{ lastError: ErrorInfo | null } | undefined>,
): Completion {
  if (!FAILED(outcome.status)) return { status: outcome.status, error: null };
  const error: ErrorInfo = {
    operation,
    status: outcome.status,
    ...(outcome.reason !== undefined && { reason: outcome.reason }),
    ...(outcome.alertSent !== undefined && { alertSent: outcome.alertSent }),
    ...(outcome.alertReceived !== undefined && { alertReceived: outcome.alertReceived }),
  };
  for (const e of entries) if (e) e.lastError = error;
  recordError(error);
  return { status: outcome.status, error };
}

/**
 * Prepares AcquireCredentialsHandle.
 *
 * Queue-time failures: `SEC_E_SECPKG_NOT_FOUND` (unknown package), `SEC_E_INVALID_PARAMETER`
 * (package not a string, `fCredentialUse` not an unsigned 32-bit integer, `phCredential` not an
 * object, `ptsExpiry` not a box), `SEC_E_UNSUPPORTED_FUNCTION` (`pvLogonId` or `pGetKeyFn`
 * given: not supported), and whatever the package's `prepareCredentials` rejects.
 * Completion: `SEC_E_OK` or the package's failure (`SEC_E_NO_CREDENTIALS`,
 * `SEC_E_UNKNOWN_CREDENTIALS`, `SEC_E_INSUFFICIENT_MEMORY`, `SEC_E_INTERNAL_ERROR`, …).
 */
export function prepareAcquireCredentialsHandle(
  pszPrincipal: string | null,
  pszPackage: string,
  fCredentialUse: number,
  pvLogonId: unknown,
  pAuthData: unknown,
  pGetKeyFn: unknown,
  pvGetKeyArgument: unknown,
  phCredential: SecHandle,
  ptsExpiry: Box<TimeStamp> | null,
): Prepared {
  const op = "AcquireCredentialsHandle";
  if (typeof pszPackage !== "string")
    return reject(op, SEC_E_INVALID_PARAMETER, "pszPackage must be a string");
  if (!optionalString(pszPrincipal))
    return reject(op, SEC_E_INVALID_PARAMETER, "pszPrincipal must be a string or null");
  if (!isUint32(fCredentialUse))
    return reject(op, SEC_E_INVALID_PARAMETER, "fCredentialUse must be a 32-bit integer");
  if (!isHandleObject(phCredential))
    return reject(op, SEC_E_INVALID_PARAMETER, "phCredential must be a CredHandle");
  if (ptsExpiry !== null && ptsExpiry !== undefined && !isBox(ptsExpiry)) {
    return reject(op, SEC_E_INVALID_PARAMETER, "ptsExpiry must be a { value } box or null");
  }
  if ((pvLogonId ?? null) !== null || (pGetKeyFn ?? null) !== null || (pvGetKeyArgument ?? null) !== null) {
    return reject(op, SEC_E_INVALID_PARAMETER, "pvLogonId, pGetKeyFn and pvGetKeyArgument must be null");
  }
  const pkg = findSecurityPackage(pszPackage);
  if (pkg === undefined)
    return reject(op, SEC_E_SECPKG_NOT_FOUND, `no security package named "${pszPackage}"`);
  const unavailable = unavailableReasonOf(pkg);
  if (unavailable !== null) return reject(op, SEC_E_SECPKG_NOT_FOUND, unavailable);
  const prepared = pkg.prepareCredentials(pszPrincipal ?? null, fCredentialUse >>> 0, pAuthData);
  if (prepared.status !== SEC_E_OK)
    return reject(op, prepared.status, prepared.reason ?? "pAuthData rejected");
  const request = {
    principal: pszPrincipal ?? null,
    credentialUse: fCredentialUse >>> 0,
    authData: prepared.authData,
  };
  return operation(op, pkg, function* (ops) {
    const result = yield* reply(ops.acquireCredentials(request));
    if (result.status === SEC_E_OK && result.credential !== undefined) {
      allocateHandle<CredentialEntry>(
        { kind: "credential", pkg, credential: result.credential },
        phCredential,
      );
      if (ptsExpiry) ptsExpiry.value = result.expiry;
    }
    return completion(op, result, []);
  });
}

/**
 * Prepares FreeCredentialsHandle. The handle is unusable from the moment the call is queued.
 *
 * Queue-time failure: `SEC_E_INVALID_HANDLE` (stale, freed, foreign or wrong-kind handle).
 * Completion: `SEC_E_OK`.
 */
export function prepareFreeCredentialsHandle(phCredential: SecHandle): Prepared {
  const op = "FreeCredentialsHandle";
  const entry = lookupHandle(phCredential, "credential");
  if (entry === undefined) return reject(op, SEC_E_INVALID_HANDLE, "not a live credential handle");
  releaseHandle(entry);
  return operation(op, entry.pkg, function* (ops) {
    return completion(op, yield* reply(ops.freeCredentials(entry.credential)), []);
  });
}

/**
 * Prepares DeleteSecurityContext. The handle is unusable from the moment the call is queued;
 * a call still in flight on the context completes first. (The blocking form cannot wait for an
 * asynchronous call in flight — that call needs this thread's event loop — so it completes at
 * once with `SEC_E_OK` and the package deletes the context when that call has finished.)
 *
 * Queue-time failure: `SEC_E_INVALID_HANDLE`. Completion: `SEC_E_OK`.
 */
export function prepareDeleteSecurityContext(phContext: SecHandle): Prepared {
  const op = "DeleteSecurityContext";
  const entry = lookupHandle(phContext, "context");
  if (entry === undefined) return reject(op, SEC_E_INVALID_HANDLE, "not a live security-context handle");
  releaseHandle(entry);
  return operation(op, entry.pkg, function* (ops, blocking) {
    if (blocking && entry.busy) {
      entry.idle.then(() => entry.pkg.deleteContext(entry.context)).catch(() => undefined);
      return completion(op, { status: SEC_E_OK }, []);
    }
    if (!blocking) yield* reply(entry.idle);
    return completion(op, yield* reply(ops.deleteContext(entry.context)), []);
  });
}

/** The arguments ISC and ASC share. */
export interface ContextCallArguments {
  role: "initiator" | "acceptor";
  phCredential: SecHandle | null;
  phContext: SecHandle | null;
  pszTargetName: string | null;
  fContextReq: number;
  TargetDataRep: number;
  pInput: SecBufferDesc | null;
  phNewContext: SecHandle | null;
  pOutput: SecBufferDesc | null;
  pfContextAttr: Box<number>;
  ptsExpiry: Box<TimeStamp> | null;
  /** ISC's `Reserved1` and `Reserved2`: both must be 0. */
  reserved?: readonly [number, number];
}

/**
 * Prepares InitializeSecurityContext (role `initiator`) or AcceptSecurityContext (`acceptor`).
 *
 * Queue-time failures: `SEC_E_INVALID_HANDLE` (a given `phCredential`/`phContext` is not live,
 * is of the wrong kind, or the context belongs to the other role; neither handle given;
 * `phNewContext` missing on the first call), `SEC_E_INVALID_TOKEN` (a malformed input or
 * output descriptor, or an output without a `SECBUFFER_TOKEN` buffer),
 * `SEC_E_INVALID_PARAMETER` (`fContextReq`/`TargetDataRep` not 32-bit integers,
 * `pfContextAttr`/`ptsExpiry` not boxes, a bad `SECBUFFER_FLAGS`, a call already in flight on
 * this context). Completion: the package's status (`SEC_E_OK`, `SEC_I_CONTINUE_NEEDED`,
 * `SEC_E_INCOMPLETE_MESSAGE`, …), or `SEC_E_BUFFER_TOO_SMALL` when an output did not fit a
 * caller-supplied buffer (the result is held and returned by the retry).
 */
export function prepareContextCall(args: ContextCallArguments): Prepared {
  const op = args.role === "initiator" ? "InitializeSecurityContext" : "AcceptSecurityContext";
  const fail = (status: SECURITY_STATUS, reason: string) => reject(op, status, reason);
  const { phCredential, phContext, phNewContext, pfContextAttr, ptsExpiry } = args;

  let contextEntry: ContextEntry | undefined;
  if (phContext !== null && phContext !== undefined) {
    contextEntry = lookupHandle(phContext, "context");
    if (contextEntry === undefined)
      return fail(SEC_E_INVALID_HANDLE, "phContext is not a live security-context handle");
    if (contextEntry.role !== args.role) {
      return fail(
        SEC_E_INVALID_HANDLE,
        `phContext was created by ${contextEntry.role === "initiator" ? "InitializeSecurityContext" : "AcceptSecurityContext"}`,
      );
    }
  }
  let credentialEntry: CredentialEntry | undefined;
  if (phCredential !== null && phCredential !== undefined) {
    credentialEntry = lookupHandle(phCredential, "credential");
    if (credentialEntry === undefined)
      return fail(SEC_E_INVALID_HANDLE, "phCredential is not a live credential handle");
  }
  if (contextEntry === undefined) {
    if (credentialEntry === undefined) return fail(SEC_E_INVALID_HANDLE, "the first call needs phCredential");
    if (!isHandleObject(phNewContext)) return fail(SEC_E_INVALID_HANDLE, "the first call needs phNewContext");
  } else if (
    credentialEntry !== undefined &&
    contextEntry.credential !== null &&
    credentialEntry !== contextEntry.credential
  ) {
    return fail(SEC_E_INVALID_HANDLE, "phCredential is not the credential this context was created with");
  }
  if (args.reserved && (args.reserved[0] !== 0 || args.reserved[1] !== 0)) {
    return fail(SEC_E_INVALID_PARAMETER, "Reserved1 and Reserved2 must be 0");
  }
  if (!optionalString(args.pszTargetName))
    return fail(SEC_E_INVALID_PARAMETER, "pszTargetName must be a string or null");
  if (!isUint32(args.fContextReq))
    return fail(SEC_E_INVALID_PARAMETER, "fContextReq must be a 32-bit integer");
  if (!isUint32(args.TargetDataRep))
    return fail(SEC_E_INVALID_PARAMETER, "TargetDataRep must be a 32-bit integer");
  if (!isBox(pfContextAttr)) return fail(SEC_E_INVALID_PARAMETER, "pfContextAttr must be a { value } box");
  if (ptsExpiry !== null && ptsExpiry !== undefined && !isBox(ptsExpiry)) {
    return fail(SEC_E_INVALID_PARAMETER, "ptsExpiry must be a { value } box or null");
  }
  const input =
    args.pInput === null || args.pInput === undefined
      ? { status: SEC_E_OK, buffers: [] }
      : validateBufferDesc(args.pInput, "input");
  if (input.status !== SEC_E_OK) return fail(input.status, input.reason ?? "bad input");
  const output = validateBufferDesc(args.pOutput, "output");
  if (output.status !== SEC_E_OK) return fail(output.status, output.reason ?? "bad output");
  if (!output.buffers.some((b) => bufferKind(b.BufferType) === SECBUFFER_TOKEN)) {
    return fail(SEC_E_INVALID_TOKEN, "pOutput needs a SECBUFFER_TOKEN buffer");
  }
  const copied = copyInputBuffers(input.buffers);
  if (copied.status !== SEC_E_OK) return fail(copied.status, copied.reason ?? "bad input");
  if (contextEntry?.busy)
    return fail(SEC_E_INVALID_PARAMETER, "a call on this security context is already in progress");

  const pkg = contextEntry?.pkg ?? credentialEntry!.pkg;
  const allocate = (args.fContextReq & ISC_REQ_ALLOCATE_MEMORY) !== 0; // same bit for ASC_REQ_ALLOCATE_MEMORY
  const snapshot = snapshotInput(input.buffers);
  const outputBuffers = output.buffers;
  const request = {
    role: args.role,
    credential: credentialEntry?.credential ?? contextEntry?.credential?.credential ?? null,
    context: contextEntry?.context ?? null,
    targetName: args.pszTargetName ?? null,
    contextReq: args.fContextReq >>> 0,
    contextReqHigh: copied.flagsHigh,
    targetDataRep: args.TargetDataRep >>> 0,
    input: copied.input,
    outputTypes: outputBuffers.map((b) => bufferKind(b.BufferType)),
  };

  let finishIdle: () => void = () => {};
  if (contextEntry) {
    contextEntry.busy = true;
    contextEntry.idle = new Promise((resolve) => {
      finishIdle = resolve;
    });
  }
  return operation(op, pkg, function* (ops) {
    let entry = contextEntry;
    try {
      let result: ContextResult;
      if (entry?.held) {
        result = entry.held;
        entry.held = null;
      } else {
        result = yield* reply(ops.processContext(request));
      }
      if (entry === undefined && result.context !== undefined && phNewContext) {
        entry = allocateHandle<ContextEntry>(
          {
            kind: "context",
            pkg,
            role: args.role,
            context: result.context,
            credential: credentialEntry ?? null,
            busy: false,
            idle: Promise.resolve(),
            held: null,
          },
          phNewContext,
        );
      } else if (entry !== undefined && phNewContext && isHandleObject(phNewContext)) {
        attachHandle(entry, phNewContext);
      }
      writeInputResult(snapshot, result);
      const status = writeOutputResult(outputBuffers, result, allocate);
      if (status === SEC_E_BUFFER_TOO_SMALL && entry !== undefined) entry.held = result;
      pfContextAttr.value = (result.contextAttr | (allocate ? ISC_REQ_ALLOCATE_MEMORY : 0)) >>> 0;
      if (ptsExpiry) ptsExpiry.value = result.expiry;
      const outcome =
        status === SEC_E_BUFFER_TOO_SMALL
          ? {
              status,
              reason:
                "an output buffer is too small: its cbBuffer now holds the size needed; call again with the same input",
            }
          : result;
      return completion(op, outcome, [entry, credentialEntry]);
    } finally {
      if (contextEntry) contextEntry.busy = false;
      finishIdle();
    }
  });
}

/** InitializeSecurityContext's C parameter list, prepared (see {@link prepareContextCall}). */
export function prepareInitializeSecurityContext(
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
): Prepared {
  return prepareContextCall({
    reserved: [Reserved1, Reserved2],
    role: "initiator",
    phCredential,
    phContext,
    pszTargetName,
    fContextReq,
    TargetDataRep,
    pInput,
    phNewContext,
    pOutput,
    pfContextAttr,
    ptsExpiry,
  });
}

/** AcceptSecurityContext's C parameter list, prepared (see {@link prepareContextCall}). */
export function prepareAcceptSecurityContext(
  phCredential: SecHandle | null,
  phContext: SecHandle | null,
  pInput: SecBufferDesc | null,
  fContextReq: number,
  TargetDataRep: number,
  phNewContext: SecHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: Box<number>,
  ptsExpiry: Box<TimeStamp> | null,
): Prepared {
  return prepareContextCall({
    role: "acceptor",
    phCredential,
    phContext,
    pszTargetName: null,
    fContextReq,
    TargetDataRep,
    pInput,
    phNewContext,
    pOutput,
    pfContextAttr,
    ptsExpiry,
  });
}
