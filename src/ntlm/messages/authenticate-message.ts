/**
 * AUTHENTICATE_MESSAGE (MS-NLMP §2.2.1.3): the client's responses, names, encrypted session key,
 * flags, VERSION and MIC.
 *
 * Layout: Signature(8) MessageType(4)=3 LmChallengeResponseFields(8)@12
 * NtChallengeResponseFields(8)@20 DomainNameFields(8)@28 UserNameFields(8)@36
 * WorkstationFields(8)@44 EncryptedRandomSessionKeyFields(8)@52 NegotiateFlags(4)@60
 * Version(8)@64 MIC(16)@72 payload. Without a MIC the payload may start at 72 (or at 64 for
 * senders without VERSION); the first payload offset tells which.
 *
 * @module
 */
import { hasFlag, NTLMSSP_NEGOTIATE_UNICODE, NTLMSSP_NEGOTIATE_VERSION } from "../negotiate-flags.js";
import { encodeVersion, type NtlmVersion, parseVersion } from "../version.js";
import {
  checkHeader,
  decodeString,
  encodeString,
  firstPayloadOffset,
  MessageWriter,
  NtLmAuthenticate,
  readBytes,
  readField,
  readU32,
} from "./wire.js";

/** Where the MIC sits in an AUTHENTICATE message that has one. */
export const MIC_OFFSET = 72;
const FIELDS = [12, 20, 28, 36, 44, 52];

export interface AuthenticateMessage {
  lmChallengeResponse: Uint8Array;
  ntChallengeResponse: Uint8Array;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Uint8Array;
  flags: number;
  version?: NtlmVersion;
  /** The 16-byte MIC, when the message has room for one (payload at 88 or later). */
  mic?: Uint8Array;
}

/**
 * Encodes the message. With `withMic` the header is 88 bytes and the MIC field holds `msg.mic` or
 * zeros (to be filled after computing it over the whole exchange).
 */
export function encodeAuthenticate(msg: AuthenticateMessage, withMic: boolean): Uint8Array {
  const unicode = hasFlag(msg.flags, NTLMSSP_NEGOTIATE_UNICODE);
  const w = new MessageWriter(NtLmAuthenticate, withMic ? 88 : 72);
  w.field(12, msg.lmChallengeResponse);
  w.field(20, msg.ntChallengeResponse);
  w.field(28, encodeString(msg.domain, unicode));
  w.field(36, encodeString(msg.user, unicode));
  w.field(44, encodeString(msg.workstation, unicode));
  w.field(52, msg.encryptedRandomSessionKey);
  w.u32(60, msg.flags >>> 0);
  if (msg.version && hasFlag(msg.flags, NTLMSSP_NEGOTIATE_VERSION)) w.bytes(64, encodeVersion(msg.version));
  if (withMic && msg.mic) w.bytes(MIC_OFFSET, msg.mic);
  return w.finish();
}

/**
 * @throws NtlmError `invalid-token` when the message is not a well-formed AUTHENTICATE_MESSAGE.
 */
export function parseAuthenticate(bytes: Uint8Array): AuthenticateMessage {
  checkHeader(bytes, NtLmAuthenticate, 64);
  const flags = readU32(bytes, 60, "AUTHENTICATE flags");
  const first = firstPayloadOffset(bytes, FIELDS) ?? bytes.length;
  const hasVersion = first >= 72 && bytes.length >= 72;
  const hasMic = first >= 88 && bytes.length >= 88;
  const headerEnd = hasMic ? 88 : hasVersion ? 72 : 64;
  const unicode = hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE);
  const field = (at: number, what: string) => readField(bytes, at, headerEnd, `AUTHENTICATE ${what}`).bytes;
  const msg: AuthenticateMessage = {
    lmChallengeResponse: field(12, "LmChallengeResponse"),
    ntChallengeResponse: field(20, "NtChallengeResponse"),
    domain: decodeString(field(28, "DomainName"), unicode, "DomainName"),
    user: decodeString(field(36, "UserName"), unicode, "UserName"),
    workstation: decodeString(field(44, "Workstation"), unicode, "Workstation"),
    encryptedRandomSessionKey: field(52, "EncryptedRandomSessionKey"),
    flags,
  };
  if (hasVersion && hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION)) msg.version = parseVersion(bytes, 64);
  if (hasMic) msg.mic = readBytes(bytes, MIC_OFFSET, 16, "MIC").slice();
  return msg;
}

/** A copy of an AUTHENTICATE message with its MIC field zeroed (the input of the MIC). */
export function withZeroMic(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
  return copy;
}
