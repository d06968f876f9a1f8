/**
 * Channel bindings (RFC 2744 §3.11, RFC 4121 §4.1.1.2): the 16-byte `Bnd` of the authenticator
 * checksum is MD5 over the GSS form `u32le initiator-addrtype ‖ u32le len ‖ initiator ‖ u32le
 * acceptor-addrtype ‖ u32le len ‖ acceptor ‖ u32le len ‖ application-data`. Windows hands the
 * same data around as SEC_CHANNEL_BINDINGS (eight u32 with offsets), which is converted here too.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { malformed } from "../errors.js";

export interface ChannelBindings {
  readonly initiatorAddrType: number;
  readonly initiatorAddress: Uint8Array;
  readonly acceptorAddrType: number;
  readonly acceptorAddress: Uint8Array;
  /** For TLS: `tls-server-end-point:` ‖ certificate hash (RFC 5929). */
  readonly applicationData: Uint8Array;
}

/** Bindings that carry only application data (what Schannel produces). */
export function applicationBindings(applicationData: Uint8Array): ChannelBindings {
  const empty = new Uint8Array(0);
  return {
    initiatorAddrType: 0,
    initiatorAddress: empty,
    acceptorAddrType: 0,
    acceptorAddress: empty,
    applicationData,
  };
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** MD5 of the GSS channel-bindings structure: the authenticator checksum's `Bnd`. */
export function channelBindingsHash(cb: ChannelBindings): Uint8Array {
  return new Uint8Array(
    createHash("md5")
      .update(u32le(cb.initiatorAddrType))
      .update(u32le(cb.initiatorAddress.length))
      .update(cb.initiatorAddress)
      .update(u32le(cb.acceptorAddrType))
      .update(u32le(cb.acceptorAddress.length))
      .update(cb.acceptorAddress)
      .update(u32le(cb.applicationData.length))
      .update(cb.applicationData)
      .digest(),
  );
}

/** Reads a Windows SEC_CHANNEL_BINDINGS buffer (header of eight u32le, offsets from its start). */
export function fromSecChannelBindings(bytes: Uint8Array): ChannelBindings {
  const what = "SEC_CHANNEL_BINDINGS";
  if (bytes.length < 32) throw malformed(what, `${bytes.length} bytes, the header alone is 32`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const field = (len: number, off: number) => {
    if (len === 0) return new Uint8Array(0);
    if (off < 32 || off + len > bytes.length)
      throw malformed(what, `field at ${off}+${len} outside the buffer`);
    return bytes.slice(off, off + len);
  };
  return {
    initiatorAddrType: v.getUint32(0, true),
    initiatorAddress: field(v.getUint32(4, true), v.getUint32(8, true)),
    acceptorAddrType: v.getUint32(12, true),
    acceptorAddress: field(v.getUint32(16, true), v.getUint32(20, true)),
    applicationData: field(v.getUint32(24, true), v.getUint32(28, true)),
  };
}
