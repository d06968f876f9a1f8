/**
 * Context request and return flags for InitializeSecurityContext (`ISC_*`) and
 * AcceptSecurityContext (`ASC_*`). Several ASC values differ from ISC ones: use the right set.
 *
 * ## Flags above bit 31
 * `fContextReq` and `pfContextAttr.value` are unsigned 32-bit numbers, as in C. JavaScript's
 * bitwise operators work on 32 bits, so the flags at bit 32 and above (`ISC_REQ_MESSAGES`,
 * `ISC_REQ_DEFERRED_CRED_VALIDATION`, …) are exported as **bigint** values and are never passed in
 * `fContextReq`. Pass them the way Schannel takes them: in an input buffer of type
 * `SECBUFFER_FLAGS` holding the 8-byte little-endian `SEC_FLAGS.Flags` (low 32 bits zero); build
 * one with {@link secFlagsBuffer}.
 *
 * @module
 */

export const ISC_REQ_DELEGATE = 0x1;
export const ISC_REQ_MUTUAL_AUTH = 0x2;
export const ISC_REQ_REPLAY_DETECT = 0x4;
export const ISC_REQ_SEQUENCE_DETECT = 0x8;
export const ISC_REQ_CONFIDENTIALITY = 0x10;
export const ISC_REQ_USE_SESSION_KEY = 0x20;
export const ISC_REQ_PROMPT_FOR_CREDS = 0x40;
export const ISC_REQ_USE_SUPPLIED_CREDS = 0x80;
export const ISC_REQ_ALLOCATE_MEMORY = 0x100;
export const ISC_REQ_USE_DCE_STYLE = 0x200;
export const ISC_REQ_DATAGRAM = 0x400;
export const ISC_REQ_CONNECTION = 0x800;
export const ISC_REQ_CALL_LEVEL = 0x1000;
export const ISC_REQ_FRAGMENT_SUPPLIED = 0x2000;
export const ISC_REQ_EXTENDED_ERROR = 0x4000;
export const ISC_REQ_STREAM = 0x8000;
export const ISC_REQ_INTEGRITY = 0x10000;
export const ISC_REQ_IDENTIFY = 0x20000;
export const ISC_REQ_NULL_SESSION = 0x40000;
export const ISC_REQ_MANUAL_CRED_VALIDATION = 0x80000;
export const ISC_REQ_RESERVED1 = 0x100000;
export const ISC_REQ_FRAGMENT_TO_FIT = 0x200000;
export const ISC_REQ_FORWARD_CREDENTIALS = 0x400000;
export const ISC_REQ_NO_INTEGRITY = 0x800000;
export const ISC_REQ_USE_HTTP_STYLE = 0x1000000;
export const ISC_REQ_UNVERIFIED_TARGET_NAME = 0x20000000;
export const ISC_REQ_CONFIDENTIALITY_ONLY = 0x40000000;
/** Bit 32+: pass in a `SECBUFFER_FLAGS` buffer. */
export const ISC_REQ_MESSAGES = 0x1_0000_0000n;
export const ISC_REQ_DEFERRED_CRED_VALIDATION = 0x2_0000_0000n;
export const ISC_REQ_NO_POST_HANDSHAKE_AUTH = 0x4_0000_0000n;
export const ISC_REQ_REUSE_SESSION_TICKETS = 0x8_0000_0000n;
export const ISC_REQ_EXPLICIT_SESSION = 0x10_0000_0000n;

export const ISC_RET_DELEGATE = 0x1;
export const ISC_RET_MUTUAL_AUTH = 0x2;
export const ISC_RET_REPLAY_DETECT = 0x4;
export const ISC_RET_SEQUENCE_DETECT = 0x8;
export const ISC_RET_CONFIDENTIALITY = 0x10;
export const ISC_RET_USE_SESSION_KEY = 0x20;
export const ISC_RET_USED_COLLECTED_CREDS = 0x40;
export const ISC_RET_USED_SUPPLIED_CREDS = 0x80;
export const ISC_RET_ALLOCATED_MEMORY = 0x100;
export const ISC_RET_USED_DCE_STYLE = 0x200;
export const ISC_RET_DATAGRAM = 0x400;
export const ISC_RET_CONNECTION = 0x800;
export const ISC_RET_INTERMEDIATE_RETURN = 0x1000;
export const ISC_RET_CALL_LEVEL = 0x2000;
export const ISC_RET_EXTENDED_ERROR = 0x4000;
export const ISC_RET_STREAM = 0x8000;
export const ISC_RET_INTEGRITY = 0x10000;
export const ISC_RET_IDENTIFY = 0x20000;
export const ISC_RET_NULL_SESSION = 0x40000;
export const ISC_RET_MANUAL_CRED_VALIDATION = 0x80000;
export const ISC_RET_RESERVED1 = 0x100000;
export const ISC_RET_FRAGMENT_ONLY = 0x200000;
export const ISC_RET_FORWARD_CREDENTIALS = 0x400000;
export const ISC_RET_USED_HTTP_STYLE = 0x1000000;
export const ISC_RET_NO_ADDITIONAL_TOKEN = 0x2000000;
export const ISC_RET_REAUTHENTICATION = 0x8000000;
export const ISC_RET_CONFIDENTIALITY_ONLY = 0x40000000;
export const ISC_RET_MESSAGES = 0x1_0000_0000n;
export const ISC_RET_DEFERRED_CRED_VALIDATION = 0x2_0000_0000n;
export const ISC_RET_NO_POST_HANDSHAKE_AUTH = 0x4_0000_0000n;
export const ISC_RET_REUSE_SESSION_TICKETS = 0x8_0000_0000n;
export const ISC_RET_EXPLICIT_SESSION = 0x10_0000_0000n;

export const ASC_REQ_DELEGATE = 0x1;
export const ASC_REQ_MUTUAL_AUTH = 0x2;
export const ASC_REQ_REPLAY_DETECT = 0x4;
export const ASC_REQ_SEQUENCE_DETECT = 0x8;
export const ASC_REQ_CONFIDENTIALITY = 0x10;
export const ASC_REQ_USE_SESSION_KEY = 0x20;
export const ASC_REQ_SESSION_TICKET = 0x40;
export const ASC_REQ_ALLOCATE_MEMORY = 0x100;
export const ASC_REQ_USE_DCE_STYLE = 0x200;
export const ASC_REQ_DATAGRAM = 0x400;
export const ASC_REQ_CONNECTION = 0x800;
export const ASC_REQ_CALL_LEVEL = 0x1000;
export const ASC_REQ_FRAGMENT_SUPPLIED = 0x2000;
export const ASC_REQ_EXTENDED_ERROR = 0x8000;
export const ASC_REQ_STREAM = 0x10000;
export const ASC_REQ_INTEGRITY = 0x20000;
export const ASC_REQ_LICENSING = 0x40000;
export const ASC_REQ_IDENTIFY = 0x80000;
export const ASC_REQ_ALLOW_NULL_SESSION = 0x100000;
export const ASC_REQ_ALLOW_NON_USER_LOGONS = 0x200000;
export const ASC_REQ_ALLOW_CONTEXT_REPLAY = 0x400000;
export const ASC_REQ_FRAGMENT_TO_FIT = 0x800000;
export const ASC_REQ_NO_TOKEN = 0x1000000;
export const ASC_REQ_PROXY_BINDINGS = 0x4000000;
export const ASC_REQ_ALLOW_MISSING_BINDINGS = 0x10000000;
export const ASC_REQ_MESSAGES = 0x1_0000_0000n;
export const ASC_REQ_EXPLICIT_SESSION = 0x10_0000_0000n;

export const ASC_RET_DELEGATE = 0x1;
export const ASC_RET_MUTUAL_AUTH = 0x2;
export const ASC_RET_REPLAY_DETECT = 0x4;
export const ASC_RET_SEQUENCE_DETECT = 0x8;
export const ASC_RET_CONFIDENTIALITY = 0x10;
export const ASC_RET_USE_SESSION_KEY = 0x20;
export const ASC_RET_SESSION_TICKET = 0x40;
export const ASC_RET_ALLOCATED_MEMORY = 0x100;
export const ASC_RET_USED_DCE_STYLE = 0x200;
export const ASC_RET_DATAGRAM = 0x400;
export const ASC_RET_CONNECTION = 0x800;
export const ASC_RET_CALL_LEVEL = 0x2000;
export const ASC_RET_THIRD_LEG_FAILED = 0x4000;
export const ASC_RET_EXTENDED_ERROR = 0x8000;
export const ASC_RET_STREAM = 0x10000;
export const ASC_RET_INTEGRITY = 0x20000;
export const ASC_RET_LICENSING = 0x40000;
export const ASC_RET_IDENTIFY = 0x80000;
export const ASC_RET_NULL_SESSION = 0x100000;
export const ASC_RET_ALLOW_NON_USER_LOGONS = 0x200000;
export const ASC_RET_ALLOW_CONTEXT_REPLAY = 0x400000;
export const ASC_RET_FRAGMENT_ONLY = 0x800000;
export const ASC_RET_NO_TOKEN = 0x1000000;
export const ASC_RET_NO_ADDITIONAL_TOKEN = 0x2000000;
export const ASC_RET_MESSAGES = 0x1_0000_0000n;
export const ASC_RET_REUSE_SESSION_TICKETS = 0x8_0000_0000n;
export const ASC_RET_EXPLICIT_SESSION = 0x10_0000_0000n;

/** `SECURITY_NATIVE_DREP` (0x10) and `SECURITY_NETWORK_DREP` (0): `TargetDataRep` values; Schannel ignores them. */
export const SECURITY_NATIVE_DREP = 0x10;
export const SECURITY_NETWORK_DREP = 0x0;

/**
 * Builds the 8-byte `SEC_FLAGS` payload of a `SECBUFFER_FLAGS` input buffer from flags at bit 32
 * and above (e.g. `ISC_REQ_MESSAGES`). Throws `RangeError` if any of the low 32 bits is set,
 * since those belong in `fContextReq`.
 */
export function secFlagsBuffer(flags: bigint): {
  BufferType: number;
  cbBuffer: number;
  pvBuffer: Uint8Array;
} {
  if ((flags & 0xffff_ffffn) !== 0n || flags < 0n || flags > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError("SECBUFFER_FLAGS carries only the flags at bit 32 and above");
  }
  const pvBuffer = new Uint8Array(8);
  new DataView(pvBuffer.buffer).setBigUint64(0, flags, true);
  return { BufferType: 27, cbBuffer: 8, pvBuffer };
}
