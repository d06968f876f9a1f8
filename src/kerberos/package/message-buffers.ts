/**
 * Kerberos' per-message functions over the caller's buffers, in Windows' layout:
 * - **MakeSignature / VerifySignature**: the RFC 4121 MIC token (RFC 4757's for rc4-hmac) in the
 *   `SECBUFFER_TOKEN` buffer over the `SECBUFFER_DATA` buffers in order (read-only ones included).
 * - **EncryptMessage** (`fQOP` 0): a sealed Wrap token split as Windows splits it — the header, the
 *   encrypted header copy, the checksum and the encrypted confounder in `SECBUFFER_TOKEN` (RRC
 *   = 16 + checksum length, EC 0; `cbBuffer` becomes 60 with aes-sha1), the data encrypted in
 *   place. `KERB_WRAP_NO_ENCRYPT` (0x80000001): an integrity-only Wrap token (header and checksum
 *   in the token buffer, RRC = checksum length, data unchanged).
 * - **DecryptMessage**: `SECBUFFER_TOKEN` + `SECBUFFER_DATA` joined back into one Wrap token (any
 *   RRC and EC the sender chose), or a whole token from another GSS implementation in one
 *   `SECBUFFER_STREAM` buffer with an empty `SECBUFFER_DATA` that is pointed at the plaintext.
 *   `pfQOP` receives 0 or `KERB_WRAP_NO_ENCRYPT`.
 * Received sequence numbers are checked: a replayed or too old token is `SEC_E_OUT_OF_SEQUENCE`,
 * and so is a gap or reordering when sequence detection was negotiated. `MessageSeqNo` is
 * ignored (connection-oriented contexts count their own).
 * - **rc4-hmac** contexts (RFC 4757 tokens): EncryptMessage writes the GSS framing, header and
 *   encrypted confounder to `SECBUFFER_TOKEN`, the data in place and the encrypted padding byte to
 *   a `SECBUFFER_PADDING` buffer (required); DecryptMessage joins the three back.
 *
 * @module
 */
import {
  bufferKind,
  isReadOnlyBuffer,
  SECBUFFER_DATA,
  SECBUFFER_PADDING,
  SECBUFFER_STREAM,
  SECBUFFER_TOKEN,
} from "../../sspi/buffer-types.js";
import type { Outcome } from "../../sspi/security-package.js";
import {
  SEC_E_BUFFER_TOO_SMALL,
  SEC_E_INVALID_HANDLE,
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_E_QOP_NOT_SUPPORTED,
  SEC_E_UNSUPPORTED_FUNCTION,
} from "../../sspi/status.js";
import type { Box, SecBuffer, SecBufferDesc } from "../../sspi/types.js";
import { ETYPE } from "../crypto/encryption-type.js";
import { getMic, unwrapMessage, verifyMicToken, wrapMessage } from "../gss/per-message.js";
import { tokenEncryptionType } from "../gss/per-message-context.js";
import { sealForSspi } from "../gss/sspi-wrap-layout.js";
import { wrap } from "../gss/wrap-token.js";
import { statusForKerberosError } from "../status-mapping.js";
import type { Established, KerberosContext } from "./kerberos-context.js";

/** `KERB_WRAP_NO_ENCRYPT` (ntsecapi.h): EncryptMessage produces an integrity-only Wrap token. */
export const KERB_WRAP_NO_ENCRYPT = 0x80000001;

type Operation = "sign" | "verify" | "seal" | "unseal";

const bytesOf = (b: SecBuffer) =>
  b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.subarray(0, b.cbBuffer);

/** MakeSignature / VerifySignature / EncryptMessage / DecryptMessage on `context`. */
export function protectMessage(
  context: KerberosContext,
  operation: Operation,
  message: SecBufferDesc,
  fQOP: number,
  pfQOP: Box<number> | null = null,
): Outcome {
  const e = context.established;
  if (e === null) return { status: SEC_E_INVALID_HANDLE, reason: "the Kerberos context is not established" };
  const buffers = message.pBuffers.slice(0, message.cBuffers);
  const data = buffers.filter((b) => bufferKind(b.BufferType) === SECBUFFER_DATA);
  const token = buffers.find((b) => bufferKind(b.BufferType) === SECBUFFER_TOKEN);
  const padding = buffers.find((b) => bufferKind(b.BufferType) === SECBUFFER_PADDING);
  try {
    switch (operation) {
      case "sign":
        if (fQOP !== 0) return { status: SEC_E_QOP_NOT_SUPPORTED, reason: "MakeSignature takes fQOP 0" };
        return sign(e, token, data);
      case "verify":
        return verify(e, token, data, pfQOP);
      case "seal":
        return seal(e, token, data, padding, fQOP);
      case "unseal": {
        const stream = buffers.find((b) => bufferKind(b.BufferType) === SECBUFFER_STREAM);
        return stream ? unsealStream(e, stream, data[0], pfQOP) : unseal(e, token, data, padding, pfQOP);
      }
    }
  } catch (error) {
    const mapped = statusForKerberosError(error);
    return { status: mapped.status, reason: mapped.reason };
  }
}

function sign(e: Established, token: SecBuffer | undefined, data: SecBuffer[]): Outcome {
  if (!token) return { status: SEC_E_INVALID_TOKEN, reason: "no SECBUFFER_TOKEN for the signature" };
  const mic = getMic(e.perMessage, e.sendSeq, Buffer.concat(data.map(bytesOf)));
  const written = place(token, mic, "signature");
  if (written) return written;
  e.sendSeq++;
  return { status: SEC_E_OK };
}

function verify(
  e: Established,
  token: SecBuffer | undefined,
  data: SecBuffer[],
  pfQOP: Box<number> | null,
): Outcome {
  if (!token) return { status: SEC_E_INVALID_TOKEN, reason: "no SECBUFFER_TOKEN holding the signature" };
  const { seq } = verifyMicToken(e.perMessage, bytesOf(token), Buffer.concat(data.map(bytesOf)));
  const order = checkSequence(e, seq);
  if (order) return order;
  if (pfQOP) pfQOP.value = 0;
  return { status: SEC_E_OK };
}

function seal(
  e: Established,
  token: SecBuffer | undefined,
  data: SecBuffer[],
  padding: SecBuffer | undefined,
  fQOP: number,
): Outcome {
  if (fQOP !== 0 && fQOP !== KERB_WRAP_NO_ENCRYPT)
    return { status: SEC_E_QOP_NOT_SUPPORTED, reason: "EncryptMessage takes fQOP 0 or KERB_WRAP_NO_ENCRYPT" };
  if (!token)
    return { status: SEC_E_INVALID_TOKEN, reason: "no SECBUFFER_TOKEN for the Wrap token's header" };
  if (data.some((b) => isReadOnlyBuffer(b.BufferType)))
    return {
      status: SEC_E_UNSUPPORTED_FUNCTION,
      reason: "read-only SECBUFFER_DATA buffers cannot be sealed here",
    };
  const plaintext = Buffer.concat(data.map(bytesOf));
  const confidential = fQOP === 0;
  let parts: { token: Uint8Array; data: Uint8Array; padding: Uint8Array };
  if (e.perMessage.key.etype === ETYPE.RC4_HMAC) {
    // RFC 4757: GSS framing, header and confounder ‖ data ‖ one padding byte (RC4 is a stream).
    if (!padding || padding.pvBuffer === null || padding.pvBuffer.byteLength < 1)
      return {
        status: SEC_E_BUFFER_TOO_SMALL,
        reason: "rc4-hmac EncryptMessage needs a SECBUFFER_PADDING buffer of at least 1 byte",
      };
    const whole = wrapMessage(e.perMessage, e.sendSeq, plaintext, { confidential });
    const header = whole.length - plaintext.length - 1;
    parts = {
      token: whole.subarray(0, header),
      data: whole.subarray(header, header + plaintext.length),
      padding: whole.subarray(header + plaintext.length),
    };
  } else if (confidential) {
    parts = { ...sealForSspi(e.perMessage, e.sendSeq, plaintext), padding: new Uint8Array(0) };
  } else {
    const checksumBytes = tokenEncryptionType(e.perMessage.key).checksumBytes;
    const whole = wrap(e.perMessage, e.sendSeq, plaintext, { confidential: false, rrc: checksumBytes });
    parts = { token: whole.subarray(0, 16 + checksumBytes), data: plaintext, padding: new Uint8Array(0) };
  }
  const written = place(token, parts.token, "Wrap token's header part");
  if (written) return written;
  let offset = 0;
  for (const b of data) {
    b.pvBuffer?.set(parts.data.subarray(offset, offset + b.cbBuffer));
    offset += b.cbBuffer;
  }
  if (padding?.pvBuffer) {
    padding.pvBuffer.set(parts.padding);
    padding.cbBuffer = parts.padding.length;
  }
  e.sendSeq++;
  return { status: SEC_E_OK };
}

function unseal(
  e: Established,
  token: SecBuffer | undefined,
  data: SecBuffer[],
  padding: SecBuffer | undefined,
  pfQOP: Box<number> | null,
): Outcome {
  if (!token)
    return { status: SEC_E_INVALID_TOKEN, reason: "no SECBUFFER_TOKEN holding the Wrap token's header" };
  const whole = Buffer.concat([
    bytesOf(token),
    ...data.map(bytesOf),
    padding ? bytesOf(padding) : new Uint8Array(0),
  ]);
  const u = unwrapMessage(e.perMessage, whole);
  const total = data.reduce((n, b) => n + b.cbBuffer, 0);
  if (u.data.length !== total && data.length !== 1)
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "the Wrap token's data does not fit the SECBUFFER_DATA buffers",
    };
  const order = checkSequence(e, u.seq);
  if (order) return order;
  let offset = 0;
  for (const b of data) {
    const part = u.data.subarray(offset, offset + (data.length === 1 ? u.data.length : b.cbBuffer));
    b.pvBuffer?.set(part);
    b.cbBuffer = part.length;
    offset += part.length;
  }
  if (padding) padding.cbBuffer = 0;
  if (pfQOP) pfQOP.value = u.confidential ? 0 : KERB_WRAP_NO_ENCRYPT;
  return { status: SEC_E_OK };
}

function unsealStream(
  e: Established,
  stream: SecBuffer,
  data: SecBuffer | undefined,
  pfQOP: Box<number> | null,
): Outcome {
  if (!data || stream.pvBuffer === null)
    return {
      status: SEC_E_INVALID_TOKEN,
      reason: "DecryptMessage with SECBUFFER_STREAM needs an empty SECBUFFER_DATA too",
    };
  const u = unwrapMessage(e.perMessage, bytesOf(stream));
  const order = checkSequence(e, u.seq);
  if (order) return order;
  stream.pvBuffer.set(u.data);
  data.pvBuffer = stream.pvBuffer.subarray(0, u.data.length);
  data.cbBuffer = u.data.length;
  if (pfQOP) pfQOP.value = u.confidential ? 0 : KERB_WRAP_NO_ENCRYPT;
  return { status: SEC_E_OK };
}

/** Writes `bytes` into the caller's buffer, or says it is too small. */
function place(buffer: SecBuffer, bytes: Uint8Array, what: string): Outcome | null {
  if (buffer.pvBuffer === null || buffer.pvBuffer.byteLength < bytes.length)
    return {
      status: SEC_E_BUFFER_TOO_SMALL,
      reason: `the SECBUFFER_TOKEN must hold the ${bytes.length}-byte ${what}`,
    };
  buffer.pvBuffer.set(bytes);
  buffer.cbBuffer = bytes.length;
  return null;
}

function checkSequence(e: Established, seq: bigint): Outcome | null {
  const order = e.receive.check(seq);
  if (order === "duplicate" || order === "old")
    return {
      status: SEC_E_OUT_OF_SEQUENCE,
      reason: `replayed token: sequence number ${seq} was ${order === "old" ? "too old" : "already received"}`,
    };
  if ((order === "gap" || order === "unseq") && e.sequenceDetect)
    return {
      status: SEC_E_OUT_OF_SEQUENCE,
      reason: `token out of order: sequence number ${seq} (${order === "gap" ? "tokens missing before it" : "arrived late"})`,
    };
  return null;
}
