/**
 * Single asynchronous SSPI calls for the CLI, in the documented pattern (create an async
 * context, set the notify callback, queue, read the result with `SspiGetAsyncCallStatus` in the
 * callback, free): credentials, post-handshake tokens (close_notify, the answer to a KeyUpdate),
 * context deletion.
 *
 * @module
 */
import {
  ApplyControlToken,
  box,
  type CtxtHandle,
  FreeContextBuffer,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_REQ_STREAM,
  SEC_E_OK,
  SEC_I_ASYNC_CALL_PENDING,
  SECBUFFER_TOKEN,
  type SECURITY_STATUS,
  type SecBuffer,
  type SspiAsyncContext,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiInitializeSecurityContextAsync,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
  shutdownToken,
} from "../index.js";

/** How one queued call went. */
export interface AsyncOutcome {
  /** What the `Sspi*Async` call returned (the queueing status). */
  queued: SECURITY_STATUS;
  /** Whether `SspiGetAsyncCallStatus` said `SEC_I_ASYNC_CALL_PENDING` right after queueing. */
  wasPending: boolean;
  /** The completion status read in the notify callback. */
  status: SECURITY_STATUS;
  /** Milliseconds from queueing to the callback. */
  ms: number;
}

/**
 * Queues one `Sspi*Async` call on a fresh async context and waits for its notify callback.
 *
 * @returns the outcome; a call that failed to queue completes with its queueing status.
 */
export function callAsync(queue: (ctx: SspiAsyncContext) => SECURITY_STATUS): Promise<AsyncOutcome> {
  const ctx = SspiCreateAsyncContext();
  const started = performance.now();
  return new Promise((resolve) => {
    let wasPending = false;
    SspiSetAsyncNotifyCallback(ctx, (done) => {
      const status = SspiGetAsyncCallStatus(done);
      SspiFreeAsyncContext(done);
      resolve({ queued: SEC_E_OK, wasPending, status, ms: performance.now() - started });
    });
    const queued = queue(ctx);
    if (queued !== SEC_E_OK) {
      SspiFreeAsyncContext(ctx);
      resolve({ queued, wasPending: false, status: queued, ms: 0 });
      return;
    }
    wasPending = SspiGetAsyncCallStatus(ctx) === SEC_I_ASYNC_CALL_PENDING;
  });
}

/**
 * One client `SspiInitializeSecurityContextAsync` call without input on an established
 * context: what Schannel produces after `ApplyControlToken` (close_notify) or after
 * `DecryptMessage` returned `SEC_I_RENEGOTIATE` (the KeyUpdate answer).
 *
 * @returns the outcome and the token to send (possibly empty).
 */
export async function clientToken(
  handle: CtxtHandle,
  target: string | null,
): Promise<AsyncOutcome & { token: Uint8Array }> {
  const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
  const outcome = await callAsync((ctx) =>
    SspiInitializeSecurityContextAsync(
      ctx,
      null,
      handle,
      target,
      ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_ALLOCATE_MEMORY,
      0,
      0,
      null,
      0,
      handle,
      out,
      box(0),
      null,
    ),
  );
  const buffer = out.pBuffers[0] as SecBuffer;
  // Copy before FreeContextBuffer zeroes it (a Buffer's slice would be a view).
  const token = buffer.pvBuffer
    ? Uint8Array.from(buffer.pvBuffer.subarray(0, buffer.cbBuffer))
    : new Uint8Array(0);
  if (buffer.pvBuffer) FreeContextBuffer(buffer.pvBuffer);
  return { ...outcome, token };
}

/**
 * `ApplyControlToken(SCHANNEL_SHUTDOWN)` then {@link clientToken}: the client's close_notify.
 *
 * @returns the outcome (the `ApplyControlToken` failure if it failed) and the close_notify record.
 */
export async function clientCloseNotify(
  handle: CtxtHandle,
  target: string | null,
): Promise<AsyncOutcome & { token: Uint8Array }> {
  const applied = ApplyControlToken(handle, secBufferDesc(shutdownToken()));
  if (applied !== SEC_E_OK)
    return { queued: applied, wasPending: false, status: applied, ms: 0, token: new Uint8Array(0) };
  return clientToken(handle, target);
}
