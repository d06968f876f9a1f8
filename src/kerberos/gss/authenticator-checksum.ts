/**
 * The GSS authenticator checksum, type 0x8003 (RFC 4121 §4.1.1): `Lgth = 16 (u32le) ‖ Bnd (16,
 * the channel-bindings MD5 or zeros) ‖ Flags (u32le) ‖ [DlgOpt ‖ Dlgth ‖ Deleg] ‖ [Exts]`.
 * Delegation is out of scope: it is never produced, and a received KRB-CRED is reported but not
 * used.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { KerberosError, malformed } from "../errors.js";
import { type ChannelBindings, channelBindingsHash } from "./channel-bindings.js";

/** The checksum type number of the GSS authenticator checksum. */
export const GSS_CHECKSUM_TYPE = 0x8003;

/** Context flags carried in the checksum (RFC 4121 §4.1.1.1, plus Microsoft's from RFC 4757 §7.1). */
export const GSS_FLAGS = {
  DELEG: 1,
  MUTUAL: 2,
  REPLAY: 4,
  SEQUENCE: 8,
  CONF: 16,
  INTEG: 32,
  DCE_STYLE: 0x1000,
  IDENTIFY: 0x2000,
  EXTENDED_ERROR: 0x4000,
} as const;

export interface GssChecksum {
  /** 16 bytes: MD5 of the channel bindings, or zeros when there are none. */
  readonly bindingsHash: Uint8Array;
  readonly flags: number;
  /** The KRB-CRED of a delegated credential, when the initiator sent one (never used). */
  readonly delegation?: Uint8Array | undefined;
  /** Extension bytes after the fixed part, as received. */
  readonly extensions?: Uint8Array | undefined;
}

const NO_BINDINGS = new Uint8Array(16);

/** Builds the 0x8003 checksum value for `flags` and optional channel bindings. */
export function encodeGssChecksum(flags: number, bindings?: ChannelBindings): Uint8Array {
  if (flags & GSS_FLAGS.DELEG)
    throw new KerberosError("ERR_KRB_UNSUPPORTED", "credential delegation is not supported");
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setUint32(0, 16, true);
  out.set(bindings ? channelBindingsHash(bindings) : NO_BINDINGS, 4);
  v.setUint32(20, flags >>> 0, true);
  return out;
}

export function decodeGssChecksum(value: Uint8Array): GssChecksum {
  const what = "GSS authenticator checksum";
  if (value.length < 24) throw malformed(what, `${value.length} bytes, at least 24 expected`);
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (v.getUint32(0, true) !== 16) throw malformed(what, `Lgth is ${v.getUint32(0, true)}, not 16`);
  const flags = v.getUint32(20, true);
  let offset = 24;
  let delegation: Uint8Array | undefined;
  if (flags & GSS_FLAGS.DELEG && value.length >= 28) {
    const dlgOpt = v.getUint16(24, true);
    const dlgth = v.getUint16(26, true);
    if (dlgOpt !== 1) throw malformed(what, `DlgOpt is ${dlgOpt}, not 1`);
    if (28 + dlgth > value.length) throw malformed(what, "delegation field runs past the end");
    delegation = value.slice(28, 28 + dlgth);
    offset = 28 + dlgth;
  }
  return {
    bindingsHash: value.slice(4, 20),
    flags,
    delegation,
    extensions: offset < value.length ? value.slice(offset) : undefined,
  };
}

/** How a received checksum's bindings compare with the acceptor's (MIT's and Windows' rules). */
export type BindingsResult = "matched" | "absent" | "mismatch" | "not-required";

/**
 * Checks the bindings hash: `absent` when the initiator sent zeros, `not-required` when the
 * acceptor has none, otherwise `matched` or `mismatch`. Policy (refuse absent?) is the caller's.
 */
export function checkBindings(received: GssChecksum, expected?: ChannelBindings): BindingsResult {
  if (!expected) return "not-required";
  if (timingSafeEqual(received.bindingsHash, NO_BINDINGS)) return "absent";
  return timingSafeEqual(received.bindingsHash, channelBindingsHash(expected)) ? "matched" : "mismatch";
}
