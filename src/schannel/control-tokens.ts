/**
 * Schannel control tokens for `ApplyControlToken`, little-endian DWORDs as on Windows:
 * `SCHANNEL_SHUTDOWN` (`{ dwTokenType }`), `SCHANNEL_ALERT_TOKEN` (`{ dwTokenType,
 * dwAlertType, dwAlertNumber }`), `SCHANNEL_SESSION_TOKEN` (`{ dwTokenType, dwFlags }`), and
 * this library's extension `SCHANNEL_KEY_UPDATE` (`{ dwTokenType, dwRequestPeerUpdate }`),
 * which makes the next ISC/ASC call produce a TLS 1.3 KeyUpdate.
 *
 * @module
 */
import { SECBUFFER_TOKEN } from "../sspi/buffer-types.js";
import {
  SCHANNEL_ALERT,
  SCHANNEL_RENEGOTIATE,
  SCHANNEL_SESSION,
  SCHANNEL_SHUTDOWN,
} from "../sspi/schannel-constants.js";
import type { SecBuffer } from "../sspi/types.js";

/** Extension token type: initiate a TLS 1.3 KeyUpdate (not a Windows value). */
export const SCHANNEL_KEY_UPDATE = 0x4b55;

/** A parsed control token. */
export type ControlToken =
  | { type: "shutdown" }
  | { type: "renegotiate" }
  | { type: "alert"; alertType: number; alertNumber: number }
  | { type: "session"; flags: number }
  | { type: "key-update"; requestPeerUpdate: boolean };

function dwords(...values: number[]): SecBuffer {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, v] of values.entries()) view.setUint32(i * 4, v >>> 0, true);
  return { BufferType: SECBUFFER_TOKEN, cbBuffer: bytes.byteLength, pvBuffer: bytes };
}

/** The `SCHANNEL_SHUTDOWN` token buffer. */
export function shutdownToken(): SecBuffer {
  return dwords(SCHANNEL_SHUTDOWN);
}

/** An `SCHANNEL_ALERT_TOKEN` buffer (`TLS1_ALERT_WARNING`/`TLS1_ALERT_FATAL`, `TLS1_ALERT_*` number). */
export function alertToken(alertType: number, alertNumber: number): SecBuffer {
  return dwords(SCHANNEL_ALERT, alertType, alertNumber);
}

/** An `SCHANNEL_SESSION_TOKEN` buffer (`SSL_SESSION_ENABLE_RECONNECTS`/`SSL_SESSION_DISABLE_RECONNECTS`). */
export function sessionToken(flags: number): SecBuffer {
  return dwords(SCHANNEL_SESSION, flags);
}

/** The `SCHANNEL_KEY_UPDATE` extension token: the next ISC/ASC returns a KeyUpdate record. */
export function keyUpdateToken(requestPeerUpdate = true): SecBuffer {
  return dwords(SCHANNEL_KEY_UPDATE, requestPeerUpdate ? 1 : 0);
}

/** Parses a control token's bytes, or returns `{ error }` for an unknown or truncated token. */
export function parseControlToken(bytes: Uint8Array): ControlToken | { error: string } {
  if (bytes.byteLength < 4) return { error: "a control token starts with a 4-byte dwTokenType" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint32(0, true);
  const field = (i: number) => (bytes.byteLength >= 4 * (i + 1) ? view.getUint32(4 * i, true) : null);
  switch (type) {
    case SCHANNEL_SHUTDOWN:
      return { type: "shutdown" };
    case SCHANNEL_RENEGOTIATE:
      return { type: "renegotiate" };
    case SCHANNEL_ALERT: {
      const alertType = field(1);
      const alertNumber = field(2);
      if (alertType === null || alertNumber === null) return { error: "SCHANNEL_ALERT_TOKEN is 12 bytes" };
      if (alertType !== 1 && alertType !== 2)
        return { error: "dwAlertType must be TLS1_ALERT_WARNING or TLS1_ALERT_FATAL" };
      if (alertNumber > 255) return { error: "dwAlertNumber must be a TLS alert number (0-255)" };
      return { type: "alert", alertType, alertNumber };
    }
    case SCHANNEL_SESSION: {
      const flags = field(1);
      return flags === null ? { error: "SCHANNEL_SESSION_TOKEN is 8 bytes" } : { type: "session", flags };
    }
    case SCHANNEL_KEY_UPDATE:
      return { type: "key-update", requestPeerUpdate: (field(1) ?? 1) !== 0 };
    default:
      return { error: `unknown control token type ${type}` };
  }
}
