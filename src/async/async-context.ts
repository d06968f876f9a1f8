/**
 * `SspiAsyncContext`: tracks one asynchronous SSPI call at a time.
 *
 * States: **idle** (created or reinitialized) → **pending** (a call was queued) → **complete**
 * (the result is readable; out-parameters are written) → idle again after
 * {@link SspiReinitAsyncContext}; **freed** at any point after {@link SspiFreeAsyncContext}.
 *
 * Rules (and the choices made where Windows documents none):
 * - A successfully queued call completes exactly once. Its notify callback runs exactly once,
 *   from a macrotask of its own, after the queuing call has returned and after every
 *   out-parameter and output buffer has been written. A call that fails to queue changes
 *   nothing and never calls back.
 * - Polling with {@link SspiGetAsyncCallStatus} works with or without a callback, for every call.
 * - Queueing on a pending context, or on a completed one that was not reinitialized, returns
 *   `SEC_E_INVALID_PARAMETER` and changes nothing. Queueing on a freed context returns
 *   `SEC_E_INVALID_HANDLE`.
 * - Freeing a pending context is safe: the context is unusable at once, the call still runs to
 *   completion and writes its out-parameters (so a handle it creates can still be deleted), and
 *   the callback is not called.
 * - The callback may free, reinit and requeue the context. An exception it throws is not
 *   caught: it surfaces as an uncaught exception, as with any Node callback, and the library's
 *   state is already final when the callback runs.
 *
 * @module
 */

import type { Completion } from "../sspi/establishing-calls.js";
import type { ErrorInfo } from "../sspi/handle-table.js";
import { registerLastErrorSource } from "../sspi/last-error.js";
import {
  type NTSTATUS,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_PARAMETER,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_I_ASYNC_CALL_PENDING,
  type SECURITY_STATUS,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_HANDLE,
  STATUS_SUCCESS,
} from "../sspi/status.js";

/** `SspiAsyncNotifyCallback`: called once when a queued call completes. */
export type SspiAsyncNotifyCallback = (handle: SspiAsyncContext, callbackData: unknown) => void;

type State = "idle" | "pending" | "complete" | "freed";

interface AsyncState {
  state: State;
  status: SECURITY_STATUS;
  callback: SspiAsyncNotifyCallback | null;
  callbackData: unknown;
  /** Details of the last failed call on this context. */
  lastError: ErrorInfo | null;
  /** Freed while pending: completion must not call back. */
  freedWhilePending: boolean;
}

const states = new WeakMap<SspiAsyncContext, AsyncState>();

const statistics = { created: 0, freed: 0, reclaimed: 0, live: 0 };

const reclaimer = new FinalizationRegistry<{ counted: boolean }>((held) => {
  if (!held.counted) return;
  statistics.reclaimed++;
  statistics.live--;
});
const reclaimTokens = new WeakMap<SspiAsyncContext, { counted: boolean }>();

/**
 * An opaque asynchronous-call context. Create with {@link SspiCreateAsyncContext}; implements
 * `Symbol.dispose` (`using ctx = SspiCreateAsyncContext()` frees it at scope exit).
 */
export class SspiAsyncContext implements Disposable {
  /** Use {@link SspiCreateAsyncContext}. */
  protected constructor() {}

  /** Frees the context, as {@link SspiFreeAsyncContext}. */
  [Symbol.dispose](): void {
    SspiFreeAsyncContext(this);
  }

  /** @internal */
  static create(): SspiAsyncContext {
    return new SspiAsyncContext();
  }
}

/**
 * Allocates a context that tracks one asynchronous call at a time.
 *
 * @returns a new idle context (never null in this implementation). Contexts that become
 *   unreachable without being freed are reclaimed by the garbage collector and counted in
 *   {@link asyncContextStatistics}.
 */
export function SspiCreateAsyncContext(): SspiAsyncContext {
  const ctx = SspiAsyncContext.create();
  states.set(ctx, {
    state: "idle",
    status: SEC_E_OK,
    callback: null,
    callbackData: undefined,
    lastError: null,
    freedWhilePending: false,
  });
  const token = { counted: true };
  reclaimTokens.set(ctx, token);
  reclaimer.register(ctx, token, token);
  statistics.created++;
  statistics.live++;
  return ctx;
}

/**
 * Frees a context. Null, an unknown object or an already freed context is ignored. Freeing a
 * pending context is safe: the call completes and writes its out-parameters, but its
 * callback is not called.
 */
export function SspiFreeAsyncContext(handle: SspiAsyncContext | null | undefined): void {
  const st = handle ? states.get(handle) : undefined;
  if (st === undefined || st.state === "freed" || handle === null || handle === undefined) return;
  if (st.state === "pending") st.freedWhilePending = true;
  st.state = "freed";
  st.callback = null;
  st.callbackData = undefined;
  const token = reclaimTokens.get(handle);
  if (token) {
    token.counted = false;
    reclaimer.unregister(token);
  }
  statistics.freed++;
  statistics.live--;
}

/**
 * Resets a completed (or idle) context so it can carry the next call. The callback and its
 * data are kept.
 *
 * @returns an NTSTATUS: `STATUS_SUCCESS` (0); `STATUS_INVALID_DEVICE_STATE` (0xC0000184) while a
 *   call is pending (nothing changes); `STATUS_INVALID_HANDLE` (0xC0000008) for a freed or
 *   unknown context.
 */
export function SspiReinitAsyncContext(handle: SspiAsyncContext): NTSTATUS {
  const st = states.get(handle);
  if (st === undefined || st.state === "freed") return STATUS_INVALID_HANDLE;
  if (st.state === "pending") return STATUS_INVALID_DEVICE_STATE;
  st.state = "idle";
  st.status = SEC_E_OK;
  return STATUS_SUCCESS;
}

/**
 * Registers the completion callback and the value handed back to it. `null` clears it (then
 * completion is observed by polling {@link SspiGetAsyncCallStatus}).
 *
 * @returns `SEC_E_OK`; `SEC_E_INVALID_HANDLE` for a freed or unknown context;
 *   `SEC_E_INVALID_PARAMETER` if `callback` is neither a function nor null, or if a call is
 *   pending (the callback of a queued call cannot change).
 */
export function SspiSetAsyncNotifyCallback(
  context: SspiAsyncContext,
  callback: SspiAsyncNotifyCallback | null,
  callbackData?: unknown,
): SECURITY_STATUS {
  const st = states.get(context);
  if (st === undefined || st.state === "freed") return SEC_E_INVALID_HANDLE;
  if (callback !== null && typeof callback !== "function") return SEC_E_INVALID_PARAMETER;
  if (st.state === "pending") return SEC_E_INVALID_PARAMETER;
  st.callback = callback;
  st.callbackData = callback === null ? undefined : callbackData;
  return SEC_E_OK;
}

/**
 * Whether completion will be notified: true exactly when a callback is registered on a live
 * context (false for freed or unknown contexts).
 */
export function SspiAsyncContextRequiresNotify(asyncContext: SspiAsyncContext): boolean {
  const st = states.get(asyncContext);
  return st !== undefined && st.state !== "freed" && st.callback !== null;
}

/**
 * The status of the context's call.
 *
 * @returns `SEC_I_ASYNC_CALL_PENDING` (0x00090368) while the call runs; once it completed,
 *   exactly what the synchronous function would have returned; `SEC_E_OK` for an idle context
 *   (no call queued since creation or reinit); `SEC_E_INVALID_HANDLE` for a freed or unknown
 *   context.
 */
export function SspiGetAsyncCallStatus(handle: SspiAsyncContext): SECURITY_STATUS {
  const st = states.get(handle);
  if (st === undefined || st.state === "freed") return SEC_E_INVALID_HANDLE;
  return st.state === "pending" ? SEC_I_ASYNC_CALL_PENDING : st.status;
}

/** Counts of async contexts: created, freed, reclaimed by GC without a free, and live. */
export function asyncContextStatistics(): {
  created: number;
  freed: number;
  reclaimed: number;
  live: number;
} {
  return { ...statistics };
}

// SspiGetLastErrorInfo(asyncContext) asks this module: the surface knows no async context.
registerLastErrorSource((target) =>
  target instanceof SspiAsyncContext ? (states.get(target)?.lastError ?? null) : undefined,
);

/**
 * @internal Queues `run` on `handle`: checks the context can take a call, marks it pending,
 * and on completion (after `run`'s promise settles and it has written its out-parameters)
 * records the status and schedules the callback in a macrotask of its own.
 *
 * `validate` runs first, synchronously: it checks and copies the arguments and returns either
 * a failure status (nothing is queued) or the operation to run.
 *
 * @returns the queueing status: `SEC_E_OK` when queued; `SEC_E_INVALID_HANDLE` for a freed or
 *   unknown context; `SEC_E_INVALID_PARAMETER` for a pending or completed-not-reinitialized
 *   context; or the failure `validate` returned.
 */
export function queueAsyncCall(
  handle: SspiAsyncContext,
  validate: () => SECURITY_STATUS | (() => Promise<Completion>),
): SECURITY_STATUS {
  const st = states.get(handle);
  if (st === undefined || st.state === "freed") return SEC_E_INVALID_HANDLE;
  if (st.state !== "idle") return SEC_E_INVALID_PARAMETER;
  let prepared: SECURITY_STATUS | (() => Promise<Completion>);
  try {
    prepared = validate();
  } catch {
    // An argument threw while being read (a throwing getter, a revoked Proxy): nothing is queued.
    return SEC_E_INVALID_TOKEN;
  }
  if (typeof prepared === "number") return prepared;
  st.state = "pending";
  st.status = SEC_I_ASYNC_CALL_PENDING;
  const callback = st.callback;
  const callbackData = st.callbackData;
  prepared().then(
    (completion) => complete(handle, st, completion, callback, callbackData),
    (err: unknown) => complete(handle, st, internalErrorCompletion(err), callback, callbackData),
  );
  return SEC_E_OK;
}

function internalErrorCompletion(err: unknown): Completion {
  return {
    status: SEC_E_INTERNAL_ERROR,
    error: {
      status: SEC_E_INTERNAL_ERROR,
      operation: "async call",
      reason: `internal error: ${err instanceof Error ? err.message : String(err)}`,
    },
  };
}

function complete(
  handle: SspiAsyncContext,
  st: AsyncState,
  completion: Completion,
  callback: SspiAsyncNotifyCallback | null,
  callbackData: unknown,
): void {
  if (st.freedWhilePending) {
    st.freedWhilePending = false;
    return;
  }
  st.state = "complete";
  st.status = completion.status;
  if (completion.error) st.lastError = completion.error;
  if (callback !== null) setImmediate(() => callback(handle, callbackData));
}
