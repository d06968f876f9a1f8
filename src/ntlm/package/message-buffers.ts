/**
 * NTLM's per-message functions over the caller's buffers, Windows' layout: the signature in the
 * `SECBUFFER_TOKEN` buffer (16 bytes; its `cbBuffer` becomes 16), the message in the
 * `SECBUFFER_DATA` buffers, sealed and unsealed in place. Several DATA buffers are one message in
 * order; `SECBUFFER_READONLY` (or `_WITH_CHECKSUM`) DATA buffers are signed but never sealed.
 * `MessageSeqNo` is ignored: a connection-oriented context counts its own sequence numbers.
 *
 * @module
 */
import { bufferKind, isReadOnlyBuffer, SECBUFFER_DATA, SECBUFFER_TOKEN } from "../../sspi/buffer-types.js";
import type { Outcome } from "../../sspi/security-package.js";
import {
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_QOP_NOT_SUPPORTED,
  SEC_E_UNSUPPORTED_FUNCTION,
} from "../../sspi/status.js";
import type { Box, SecBuffer, SecBufferDesc } from "../../sspi/types.js";
import { NtlmError } from "../ntlm-error.js";
import { NTLM_SIGNATURE_SIZE, type NtlmSessionSecurity, type SealPart } from "../session-security.js";
import type { NtlmContext } from "./ntlm-context.js";

type Operation = "sign" | "verify" | "seal" | "unseal";

/** MakeSignature / VerifySignature / EncryptMessage / DecryptMessage on `context`. */
export function protectMessage(
  context: NtlmContext,
  operation: Operation,
  message: SecBufferDesc,
  fQOP: number,
  pfQOP: Box<number> | null = null,
): Outcome {
  if (fQOP !== 0) return { status: SEC_E_QOP_NOT_SUPPORTED, reason: "fQOP must be 0" };
  const session = sessionOf(context);
  if ("status" in session) return session;
  const buffers = message.pBuffers.slice(0, message.cBuffers);
  const token = buffers.find((b) => bufferKind(b.BufferType) === SECBUFFER_TOKEN);
  if (token === undefined)
    return { status: SEC_E_INVALID_TOKEN, reason: "no SECBUFFER_TOKEN for the signature" };
  const data = buffers
    .filter((b) => bufferKind(b.BufferType) === SECBUFFER_DATA)
    .map((b) => ({ data: bytesOf(b), seal: !isReadOnlyBuffer(b.BufferType) }));
  try {
    if (operation === "sign" || operation === "seal") {
      if (token.pvBuffer === null || token.pvBuffer.byteLength < NTLM_SIGNATURE_SIZE)
        return {
          status: SEC_E_BUFFER_TOO_SMALL,
          reason: `the SECBUFFER_TOKEN must hold the ${NTLM_SIGNATURE_SIZE}-byte signature`,
        };
      const signature =
        operation === "sign" ? session.sign(data.map((d) => d.data)) : session.sealInPlace(data);
      token.pvBuffer.set(signature);
      token.cbBuffer = signature.length;
    } else {
      const signature = bytesOf(token);
      if (operation === "verify")
        session.verify(
          data.map((d) => d.data),
          signature,
        );
      else session.unsealInPlace(data as SealPart[], signature);
      if (pfQOP) pfQOP.value = 0;
    }
    return { status: SEC_E_OK };
  } catch (e) {
    if (e instanceof NtlmError) return { status: e.status, reason: e.reason };
    return { status: SEC_E_INTERNAL_ERROR, reason: "internal error protecting the message" };
  }
}

function sessionOf(context: NtlmContext): NtlmSessionSecurity | Outcome {
  if (context.established === null)
    return { status: SEC_E_INVALID_HANDLE, reason: "the NTLM context is not established" };
  return (
    context.established.session ?? {
      status: SEC_E_UNSUPPORTED_FUNCTION,
      reason: "no session security was negotiated (no extended session security)",
    }
  );
}

function bytesOf(b: SecBuffer): Uint8Array {
  return b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.subarray(0, b.cbBuffer);
}
