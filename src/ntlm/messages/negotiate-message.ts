/**
 * NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1): the client's flags, optional OEM domain and workstation,
 * and VERSION.
 *
 * Layout: Signature(8) MessageType(4)=1 NegotiateFlags(4)@12 DomainNameFields(8)@16
 * WorkstationFields(8)@24 [Version(8)@32] payload.
 *
 * @module
 */
import {
  hasFlag,
  NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED,
  NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED,
  NTLMSSP_NEGOTIATE_VERSION,
} from "../negotiate-flags.js";
import { encodeVersion, type NtlmVersion, parseVersion } from "../version.js";
import {
  checkHeader,
  decodeString,
  encodeString,
  firstPayloadOffset,
  MessageWriter,
  NtLmNegotiate,
  readField,
  readU32,
} from "./wire.js";

export interface NegotiateMessage {
  flags: number;
  /** OEM domain name, when NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED. */
  domain?: string;
  /** OEM workstation name, when NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED. */
  workstation?: string;
  version?: NtlmVersion;
}

const FIXED = 32;

export function encodeNegotiate(msg: NegotiateMessage): Uint8Array {
  let flags = msg.flags >>> 0;
  if (msg.domain) flags |= NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED;
  if (msg.workstation) flags |= NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED;
  const withVersion = msg.version !== undefined;
  if (withVersion) flags |= NTLMSSP_NEGOTIATE_VERSION;
  const w = new MessageWriter(NtLmNegotiate, withVersion ? FIXED + 8 : FIXED);
  w.u32(12, flags >>> 0);
  w.field(16, encodeString(msg.domain ?? "", false));
  w.field(24, encodeString(msg.workstation ?? "", false));
  if (msg.version) w.bytes(32, encodeVersion(msg.version));
  return w.finish();
}

/**
 * @throws NtlmError `invalid-token` when the message is not a well-formed NEGOTIATE_MESSAGE.
 */
export function parseNegotiate(bytes: Uint8Array): NegotiateMessage {
  checkHeader(bytes, NtLmNegotiate, FIXED);
  const flags = readU32(bytes, 12, "NEGOTIATE flags");
  const first = firstPayloadOffset(bytes, [16, 24]);
  const hasVersion =
    hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) && bytes.length >= FIXED + 8 && (first ?? 40) >= 40;
  const headerEnd = hasVersion ? FIXED + 8 : FIXED;
  const msg: NegotiateMessage = { flags };
  if (hasFlag(flags, NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED))
    msg.domain = decodeString(
      readField(bytes, 16, headerEnd, "NEGOTIATE DomainName").bytes,
      false,
      "DomainName",
    );
  else readField(bytes, 16, headerEnd, "NEGOTIATE DomainName");
  if (hasFlag(flags, NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED))
    msg.workstation = decodeString(
      readField(bytes, 24, headerEnd, "NEGOTIATE Workstation").bytes,
      false,
      "Workstation",
    );
  else readField(bytes, 24, headerEnd, "NEGOTIATE Workstation");
  if (hasVersion) msg.version = parseVersion(bytes, 32);
  return msg;
}
