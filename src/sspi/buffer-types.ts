/**
 * `SecBuffer.BufferType` values and attribute bits (sspi.h).
 *
 * A buffer type is compared as an unsigned 32-bit value after masking the attribute bits:
 * `bufferKind(b.BufferType)` gives the type without `SECBUFFER_READONLY` and friends.
 *
 * @module
 */

export const SECBUFFER_VERSION = 0;

export const SECBUFFER_EMPTY = 0;
export const SECBUFFER_DATA = 1;
export const SECBUFFER_TOKEN = 2;
export const SECBUFFER_PKG_PARAMS = 3;
export const SECBUFFER_MISSING = 4;
export const SECBUFFER_EXTRA = 5;
export const SECBUFFER_STREAM_TRAILER = 6;
export const SECBUFFER_STREAM_HEADER = 7;
export const SECBUFFER_NEGOTIATION_INFO = 8;
export const SECBUFFER_PADDING = 9;
export const SECBUFFER_STREAM = 10;
export const SECBUFFER_MECHLIST = 11;
export const SECBUFFER_MECHLIST_SIGNATURE = 12;
export const SECBUFFER_TARGET = 13;
export const SECBUFFER_CHANNEL_BINDINGS = 14;
export const SECBUFFER_CHANGE_PASS_RESPONSE = 15;
export const SECBUFFER_TARGET_HOST = 16;
export const SECBUFFER_ALERT = 17;
export const SECBUFFER_APPLICATION_PROTOCOLS = 18;
export const SECBUFFER_SRTP_PROTECTION_PROFILES = 19;
export const SECBUFFER_SRTP_MASTER_KEY_IDENTIFIER = 20;
export const SECBUFFER_TOKEN_BINDING = 21;
export const SECBUFFER_PRESHARED_KEY = 22;
export const SECBUFFER_PRESHARED_KEY_IDENTITY = 23;
export const SECBUFFER_DTLS_MTU = 24;
export const SECBUFFER_SEND_GENERIC_TLS_EXTENSION = 25;
export const SECBUFFER_SUBSCRIBE_GENERIC_TLS_EXTENSION = 26;
/** `SEC_FLAGS { unsigned long long Flags }`: request flags at bit 32 and above, 8 bytes little-endian. */
export const SECBUFFER_FLAGS = 27;
export const SECBUFFER_TRAFFIC_SECRETS = 28;
export const SECBUFFER_CERTIFICATE_REQUEST_CONTEXT = 29;
export const SECBUFFER_CHANNEL_BINDINGS_RESULT = 30;
export const SECBUFFER_APP_SESSION_STATE = 31;
export const SECBUFFER_SESSION_TICKET = 32;
/**
 * Extension (not a Windows value; Windows has no way to hand Schannel a saved session): on a TLS
 * client's first ISC, a session exported by `SECPKG_ATTR_TLS_SESSION_EX` to resume when it was
 * validated under the same rules (validation mode, target name, trusted roots).
 */
export const SECBUFFER_TLS_SESSION_EX = 0x1000;

/** Attribute bits of `BufferType` (unsigned). */
export const SECBUFFER_ATTRMASK = 0xf0000000;
export const SECBUFFER_READONLY = 0x80000000;
export const SECBUFFER_READONLY_WITH_CHECKSUM = 0x10000000;
export const SECBUFFER_RESERVED = 0x60000000;

/** `SEC_APPLICATION_PROTOCOL_NEGOTIATION_EXT` values. */
export const SecApplicationProtocolNegotiationExt_None = 0;
export const SecApplicationProtocolNegotiationExt_NPN = 1;
export const SecApplicationProtocolNegotiationExt_ALPN = 2;

/** `SEC_APPLICATION_PROTOCOL_NEGOTIATION_STATUS` values. */
export const SecApplicationProtocolNegotiationStatus_None = 0;
export const SecApplicationProtocolNegotiationStatus_Success = 1;
export const SecApplicationProtocolNegotiationStatus_SelectedClientOnly = 2;

/** The buffer type without its attribute bits, as an unsigned 32-bit number. */
export function bufferKind(bufferType: number): number {
  return ((bufferType >>> 0) & ~SECBUFFER_ATTRMASK) >>> 0;
}

/** True when the buffer is marked read-only (`SECBUFFER_READONLY` or `_WITH_CHECKSUM`). */
export function isReadOnlyBuffer(bufferType: number): boolean {
  return ((bufferType >>> 0) & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM)) !== 0;
}
