/**
 * One `InitializeSecurityContext`/`AcceptSecurityContext` call (promise form) with Schannel's
 * buffer rules: input `[SECBUFFER_TOKEN, SECBUFFER_EMPTY]` (the EMPTY buffer comes back as
 * `SECBUFFER_EXTRA` or `SECBUFFER_MISSING`), output `[SECBUFFER_TOKEN, SECBUFFER_ALERT,
 * SECBUFFER_EMPTY]` allocated by the package (`*_REQ_ALLOCATE_MEMORY`), copied out and freed
 * with `FreeContextBuffer`. A client's first call carries no token, only the ALPN list.
 *
 * @module
 */
import * as sspi from "../async/promises.js";
import { applicationProtocolsBuffer } from "../schannel/application-protocols.js";
import {
  SECBUFFER_ALERT,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_MISSING,
  SECBUFFER_TLS_SESSION_EX,
  SECBUFFER_TOKEN,
} from "../sspi/buffer-types.js";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_EXTENDED_ERROR,
  ASC_REQ_MUTUAL_AUTH,
  ASC_REQ_REPLAY_DETECT,
  ASC_REQ_SEQUENCE_DETECT,
  ASC_REQ_STREAM,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_EXTENDED_ERROR,
  ISC_REQ_REPLAY_DETECT,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_REQ_STREAM,
} from "../sspi/context-flags.js";
import type { SecHandle } from "../sspi/handles.js";
import { FreeContextBuffer } from "../sspi/package-registry.js";
import type { SECURITY_STATUS } from "../sspi/status.js";
import { box, type SecBuffer, type SecBufferDesc, secBuffer, secBufferDesc } from "../sspi/types.js";
import { copyBytes, EMPTY } from "./bytes.js";

/** What one call needs. */
export interface ContextCallRequest {
  role: "client" | "server";
  /** The credential on the first call; null afterwards (the context remembers it). */
  credential: SecHandle | null;
  /** The context handle: filled by the first call, passed back on the next ones. */
  context: SecHandle;
  /** True for the call that creates the context. */
  first: boolean;
  /** Client: the server name (SNI and name check). */
  targetName: string | null;
  /** Client, first call: ALPN ids to offer. */
  alpn: readonly string[] | null;
  /** Server: ask for a client certificate (`ASC_REQ_MUTUAL_AUTH`). */
  mutualAuth: boolean;
  /** Client, first call: an exported session to resume (`SECBUFFER_TLS_SESSION_EX`), or null. */
  session: Uint8Array | null;
  /** Received bytes, or null for a call without input (control output, the client's first call). */
  input: Uint8Array | null;
}

/** What one call returned. */
export interface ContextCallResult {
  status: SECURITY_STATUS;
  /** The output token (handshake messages, alerts, close_notify, KeyUpdate), copied. */
  output: Uint8Array;
  /** How many trailing input bytes were not consumed (`SECBUFFER_EXTRA`). */
  extraLength: number;
  /** Bytes still needed (`SECBUFFER_MISSING`) with `SEC_E_INCOMPLETE_MESSAGE`. */
  missing: number;
}

const CLIENT_FLAGS =
  ISC_REQ_SEQUENCE_DETECT |
  ISC_REQ_REPLAY_DETECT |
  ISC_REQ_CONFIDENTIALITY |
  ISC_REQ_EXTENDED_ERROR |
  ISC_REQ_ALLOCATE_MEMORY |
  ISC_REQ_STREAM;

const SERVER_FLAGS =
  ASC_REQ_SEQUENCE_DETECT |
  ASC_REQ_REPLAY_DETECT |
  ASC_REQ_CONFIDENTIALITY |
  ASC_REQ_EXTENDED_ERROR |
  ASC_REQ_ALLOCATE_MEMORY |
  ASC_REQ_STREAM;

/** Copies an allocated output buffer's bytes and frees it. */
function takeOutput(buffer: SecBuffer | undefined): Uint8Array {
  if (!buffer?.pvBuffer) return EMPTY;
  const bytes = copyBytes(buffer.pvBuffer.subarray(0, buffer.cbBuffer));
  FreeContextBuffer(buffer.pvBuffer);
  return bytes;
}

function inputDescriptor(request: ContextCallRequest): SecBufferDesc | null {
  if (request.role === "client" && request.first) {
    const buffers: SecBuffer[] = [];
    if (request.alpn && request.alpn.length > 0) buffers.push(applicationProtocolsBuffer(request.alpn));
    if (request.session !== null) buffers.push(secBuffer(SECBUFFER_TLS_SESSION_EX, request.session));
    return buffers.length > 0 ? secBufferDesc(...buffers) : null;
  }
  if (request.input === null) return null;
  return secBufferDesc(secBuffer(SECBUFFER_TOKEN, request.input), secBuffer(SECBUFFER_EMPTY));
}

/**
 * Runs the call.
 *
 * @returns the status with the output, EXTRA and MISSING counts; never rejects (failures are
 *   statuses; their details are recorded on the handles, see `SspiGetLastErrorInfo`).
 */
export async function callContext(request: ContextCallRequest): Promise<ContextCallResult> {
  const input = inputDescriptor(request);
  const output = secBufferDesc(
    secBuffer(SECBUFFER_TOKEN),
    secBuffer(SECBUFFER_ALERT),
    secBuffer(SECBUFFER_EMPTY),
  );
  const attributes = box(0);
  const previous = request.first ? null : request.context;
  const status =
    request.role === "client"
      ? await sspi.InitializeSecurityContext(
          request.credential,
          previous,
          request.targetName,
          CLIENT_FLAGS,
          0,
          0,
          input,
          0,
          request.context,
          output,
          attributes,
          null,
        )
      : await sspi.AcceptSecurityContext(
          request.credential,
          previous,
          input,
          SERVER_FLAGS | (request.mutualAuth ? ASC_REQ_MUTUAL_AUTH : 0),
          0,
          request.context,
          output,
          attributes,
          null,
        );
  const token = takeOutput(output.pBuffers[0]);
  takeOutput(output.pBuffers[1]); // the alert is also in the token and in the error details
  const tail = input !== null && input.cBuffers > 1 ? input.pBuffers[1] : undefined;
  return {
    status,
    output: token,
    extraLength: tail?.BufferType === SECBUFFER_EXTRA ? tail.cbBuffer : 0,
    missing: tail?.BufferType === SECBUFFER_MISSING ? tail.cbBuffer : 0,
  };
}
