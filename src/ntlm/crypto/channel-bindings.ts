/**
 * Channel bindings (RFC 5056, RFC 5929, RFC 2744 §3.11, MS-NLMP §1.4): the 16-byte hash an NTLM
 * client puts in MsvAvChannelBindings is MD5 of the GSS `gss_channel_bindings_struct` in its
 * flat little-endian form:
 *
 * ```
 * u32le initiator_addrtype ‖ u32le len ‖ initiator ‖ u32le acceptor_addrtype ‖ u32le len ‖ acceptor ‖ u32le len ‖ application_data
 * ```
 *
 * For TLS the application data is `"tls-server-end-point:" ‖ hash of the server certificate`
 * (RFC 5929 §4), what Windows' EPA and the TLS package's SECPKG_ATTR_ENDPOINT_BINDINGS give.
 *
 * @module
 */

import { concat, readBytes, readU32, writeU32 } from "../messages/wire.js";
import { invalidToken } from "../ntlm-error.js";
import { md5 } from "./hashes.js";

/** The GSS channel bindings (address types and addresses are rarely used; 0 and empty). */
export interface ChannelBindings {
  initiatorAddrType?: number;
  initiatorAddress?: Uint8Array;
  acceptorAddrType?: number;
  acceptorAddress?: Uint8Array;
  applicationData: Uint8Array;
}

const u32 = (value: number) => {
  const b = new Uint8Array(4);
  writeU32(b, 0, value);
  return b;
};

/** MD5 of the flat gss_channel_bindings_struct: the MsvAvChannelBindings value. */
export function channelBindingsHash(cb: ChannelBindings): Uint8Array {
  const initiator = cb.initiatorAddress ?? new Uint8Array(0);
  const acceptor = cb.acceptorAddress ?? new Uint8Array(0);
  return md5(
    concat(
      u32(cb.initiatorAddrType ?? 0),
      u32(initiator.length),
      initiator,
      u32(cb.acceptorAddrType ?? 0),
      u32(acceptor.length),
      acceptor,
      u32(cb.applicationData.length),
      cb.applicationData,
    ),
  );
}

/** The RFC 5929 tls-server-end-point bindings for a certificate hash. */
export function tlsServerEndPointBindings(certificateHash: Uint8Array): ChannelBindings {
  return { applicationData: concat(new TextEncoder().encode("tls-server-end-point:"), certificateHash) };
}

/**
 * Reads Windows' `SEC_CHANNEL_BINDINGS` (8 u32: initiator addrtype/length/offset, acceptor
 * addrtype/length/offset, application-data length/offset, then the data the offsets point to),
 * as found in a `SECBUFFER_CHANNEL_BINDINGS` buffer.
 *
 * @throws NtlmError `invalid-token` when an offset/length pair runs past the buffer.
 */
export function fromSecChannelBindings(bytes: Uint8Array): ChannelBindings {
  const at = (i: number) => readU32(bytes, i * 4, "SEC_CHANNEL_BINDINGS");
  const part = (length: number, offset: number, what: string) => {
    if (length === 0) return new Uint8Array(0);
    if (offset < 32) throw invalidToken(`SEC_CHANNEL_BINDINGS: ${what} offset points into the header`);
    return readBytes(bytes, offset, length, `SEC_CHANNEL_BINDINGS ${what}`).slice();
  };
  return {
    initiatorAddrType: at(0),
    initiatorAddress: part(at(1), at(2), "initiator"),
    acceptorAddrType: at(3),
    acceptorAddress: part(at(4), at(5), "acceptor"),
    applicationData: part(at(6), at(7), "application data"),
  };
}
