/**
 * One side of a TLS handshake over a socket, driven through the asynchronous SSPI exactly as
 * the documented pattern does: one async context per connection, a notify
 * callback, `Sspi*SecurityContextAsync` queued whenever bytes are there, the result read in the
 * callback with `SspiGetAsyncCallStatus`, then `SspiReinitAsyncContext` for the next leg.
 *
 * @module
 */
import type { Socket } from "node:net";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_MUTUAL_AUTH,
  ASC_REQ_REPLAY_DETECT,
  ASC_REQ_SEQUENCE_DETECT,
  ASC_REQ_STREAM,
  box,
  CtxtHandle,
  FreeContextBuffer,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_MANUAL_CRED_VALIDATION,
  ISC_REQ_REPLAY_DETECT,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_REQ_STREAM,
  ISC_REQ_USE_SUPPLIED_CREDS,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_I_ASYNC_CALL_PENDING,
  SEC_I_CONTINUE_NEEDED,
  SEC_I_INCOMPLETE_CREDENTIALS,
  SECBUFFER_ALERT,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_TOKEN,
  SECURITY_NATIVE_DREP,
  type SECURITY_STATUS,
  type SecBuffer,
  type SecHandle,
  SspiAcceptSecurityContextAsync,
  type SspiAsyncContext,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiInitializeSecurityContextAsync,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
} from "../index.js";
import { applicationProtocolsBuffer } from "../schannel/application-protocols.js";

/** One ISC/ASC leg as it happened. */
export interface HandshakeLeg {
  side: "client" | "server";
  call: "SspiInitializeSecurityContextAsync" | "SspiAcceptSecurityContextAsync";
  /** What the Sspi*Async call returned (the queueing status). */
  queued: SECURITY_STATUS;
  /** Whether SspiGetAsyncCallStatus reported SEC_I_ASYNC_CALL_PENDING right after queueing. */
  wasPending: boolean;
  /** The completion status read in the callback. */
  completed: SECURITY_STATUS;
  input: Uint8Array;
  output: Uint8Array;
  extra: number;
  missing: number;
  alert: [number, number] | null;
  /** Milliseconds from queueing to the callback. */
  ms: number;
}

export interface HandshakeResult {
  status: SECURITY_STATUS;
  handle: CtxtHandle;
  /** Bytes received after the handshake's last record. */
  leftover: Uint8Array;
  legs: HandshakeLeg[];
}

export interface AsyncHandshakeOptions {
  role: "client" | "server";
  credential: SecHandle;
  socket: Socket;
  /** Client: the server name (SNI and certificate name check). */
  target?: string | null;
  /** Client: ALPN ids to offer. */
  alpn?: string[];
  /** Client: do not validate the server certificate. */
  manualValidation?: boolean;
  /** Server: ask for a client certificate. */
  mutualAuth?: boolean;
  /** Called after every leg. */
  onLeg?: (leg: HandshakeLeg) => void;
}

const EMPTY = new Uint8Array(0);

/**
 * Runs the handshake to completion or failure.
 *
 * @returns the final status (`SEC_E_OK` or the failure; the alert, if any, was sent), the
 *   context handle (delete it in every case) and the bytes received after the handshake.
 */
export function runAsyncHandshake(options: AsyncHandshakeOptions): Promise<HandshakeResult> {
  const { role, credential, socket } = options;
  const client = role === "client";
  const handle = new CtxtHandle();
  const attr = box(0);
  const legs: HandshakeLeg[] = [];
  let flags = client
    ? ISC_REQ_SEQUENCE_DETECT |
      ISC_REQ_REPLAY_DETECT |
      ISC_REQ_CONFIDENTIALITY |
      ISC_REQ_STREAM |
      ISC_REQ_EXTENDED_ERROR |
      ISC_REQ_ALLOCATE_MEMORY |
      (options.manualValidation ? ISC_REQ_MANUAL_CRED_VALIDATION : 0)
    : ASC_REQ_SEQUENCE_DETECT |
      ASC_REQ_REPLAY_DETECT |
      ASC_REQ_CONFIDENTIALITY |
      ASC_REQ_STREAM |
      ASC_REQ_EXTENDED_ERROR |
      ASC_REQ_ALLOCATE_MEMORY |
      (options.mutualAuth ? ASC_REQ_MUTUAL_AUTH : 0);

  return new Promise<HandshakeResult>((resolve) => {
    const ctx: SspiAsyncContext = SspiCreateAsyncContext();
    let received: Uint8Array = EMPTY;
    let first = true;
    let pending = false;
    let needMore = !client;
    let finished = false;
    let current: {
      input: Uint8Array;
      inDesc: ReturnType<typeof secBufferDesc> | null;
      outDesc: ReturnType<typeof secBufferDesc>;
      started: number;
      queued: number;
      wasPending: boolean;
    } | null = null;

    const finish = (status: SECURITY_STATUS) => {
      if (finished) return;
      finished = true;
      socket.off("data", onData);
      socket.off("close", onClose);
      SspiFreeAsyncContext(ctx);
      resolve({ status, handle, leftover: received, legs });
    };

    const onData = (chunk: Buffer) => {
      received = received.byteLength === 0 ? new Uint8Array(chunk) : Buffer.concat([received, chunk]);
      if (needMore && !pending) issue();
    };
    const onClose = () => {
      if (!pending) finish(legs.at(-1)?.completed ?? SEC_E_INCOMPLETE_MESSAGE);
    };

    const issue = () => {
      needMore = false;
      const input = received;
      let inDesc: ReturnType<typeof secBufferDesc> | null = null;
      if (!(client && first))
        inDesc = secBufferDesc(secBuffer(SECBUFFER_TOKEN, input), secBuffer(SECBUFFER_EMPTY));
      else if (options.alpn && options.alpn.length > 0)
        inDesc = secBufferDesc(applicationProtocolsBuffer(options.alpn));
      const outDesc = secBufferDesc(
        secBuffer(SECBUFFER_TOKEN),
        secBuffer(SECBUFFER_ALERT, 2),
        secBuffer(SECBUFFER_EMPTY),
      );
      const started = performance.now();
      const queued = client
        ? SspiInitializeSecurityContextAsync(
            ctx,
            credential,
            first ? null : handle,
            options.target ?? null,
            flags,
            0,
            SECURITY_NATIVE_DREP,
            inDesc,
            0,
            handle,
            outDesc,
            attr,
            null,
          )
        : SspiAcceptSecurityContextAsync(
            ctx,
            credential,
            first ? null : handle,
            inDesc,
            flags,
            SECURITY_NATIVE_DREP,
            handle,
            outDesc,
            attr,
            null,
          );
      if (queued !== SEC_E_OK) {
        legs.push({
          side: role,
          call: client ? "SspiInitializeSecurityContextAsync" : "SspiAcceptSecurityContextAsync",
          queued,
          wasPending: false,
          completed: queued,
          input,
          output: EMPTY,
          extra: 0,
          missing: 0,
          alert: null,
          ms: 0,
        });
        finish(queued);
        return;
      }
      pending = true;
      first = false;
      current = {
        input,
        inDesc,
        outDesc,
        started,
        queued,
        wasPending: SspiGetAsyncCallStatus(ctx) === SEC_I_ASYNC_CALL_PENDING,
      };
    };

    SspiSetAsyncNotifyCallback(ctx, (done) => {
      const call = current!;
      pending = false;
      const status = SspiGetAsyncCallStatus(done);
      const token = call.outDesc.pBuffers[0] as SecBuffer;
      const output = token.pvBuffer ? token.pvBuffer.slice(0, token.cbBuffer) : EMPTY;
      if (token.pvBuffer) FreeContextBuffer(token.pvBuffer);
      const alertBuffer = call.outDesc.pBuffers[1] as SecBuffer;
      const alert: [number, number] | null =
        alertBuffer.cbBuffer === 2 && alertBuffer.pvBuffer
          ? [alertBuffer.pvBuffer[0]!, alertBuffer.pvBuffer[1]!]
          : null;
      const second = call.inDesc?.pBuffers[1];
      const extra = second?.BufferType === SECBUFFER_EXTRA ? second.cbBuffer : 0;
      const missing = second?.BufferType === SECBUFFER_MISSING ? second.cbBuffer : 0;
      if (output.byteLength > 0 && !socket.destroyed) socket.write(output);
      // What the call did not consume stays; bytes that arrived meanwhile follow it.
      if (status !== SEC_E_INCOMPLETE_MESSAGE) received = received.subarray(call.input.byteLength - extra);
      const leg: HandshakeLeg = {
        side: role,
        call: client ? "SspiInitializeSecurityContextAsync" : "SspiAcceptSecurityContextAsync",
        queued: call.queued,
        wasPending: call.wasPending,
        completed: status,
        input: call.input,
        output,
        extra,
        missing,
        alert,
        ms: performance.now() - call.started,
      };
      legs.push(leg);
      options.onLeg?.(leg);
      SspiReinitAsyncContext(done);
      if (status === SEC_I_INCOMPLETE_CREDENTIALS && !(flags & ISC_REQ_USE_SUPPLIED_CREDS)) {
        // The server asked for a certificate this credential lacks: go on without one, as
        // curl does (same input again, with ISC_REQ_USE_SUPPLIED_CREDS).
        flags |= ISC_REQ_USE_SUPPLIED_CREDS;
        issue();
        return;
      }
      if (status === SEC_I_CONTINUE_NEEDED || status === SEC_E_INCOMPLETE_MESSAGE) {
        const haveNew =
          received.byteLength > (status === SEC_E_INCOMPLETE_MESSAGE ? call.input.byteLength : 0);
        if (haveNew) issue();
        else if (socket.destroyed || socket.readableEnded) finish(status);
        else needMore = true;
        return;
      }
      finish(status);
    });

    socket.on("data", onData);
    socket.on("close", onClose);
    if (client) issue();
  });
}
