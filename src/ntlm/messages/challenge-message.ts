/**
 * CHALLENGE_MESSAGE (MS-NLMP §2.2.1.2): the server's flags, 8-byte challenge, target name and
 * TargetInfo (an AV_PAIR list).
 *
 * Layout: Signature(8) MessageType(4)=2 TargetNameFields(8)@12 NegotiateFlags(4)@20
 * ServerChallenge(8)@24 Reserved(8)@32 TargetInfoFields(8)@40 [Version(8)@48] payload.
 *
 * @module
 */
import { type AvPair, encodeAvPairs, parseAvPairs } from "../av-pairs.js";
import {
  hasFlag,
  NTLMSSP_NEGOTIATE_TARGET_INFO,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_NEGOTIATE_VERSION,
} from "../negotiate-flags.js";
import { invalidToken } from "../ntlm-error.js";
import { encodeVersion, type NtlmVersion, parseVersion } from "../version.js";
import {
  checkHeader,
  decodeString,
  encodeString,
  firstPayloadOffset,
  MessageWriter,
  NtLmChallenge,
  readBytes,
  readField,
  readU32,
} from "./wire.js";

export interface ChallengeMessage {
  flags: number;
  targetName: string;
  serverChallenge: Uint8Array;
  /** The parsed TargetInfo pairs (without MsvAvEOL). */
  targetInfo: AvPair[];
  version?: NtlmVersion;
}

const FIXED = 48;

export function encodeChallenge(msg: ChallengeMessage): Uint8Array {
  if (msg.serverChallenge.length !== 8) throw new RangeError("ServerChallenge is 8 bytes");
  let flags = (msg.flags | NTLMSSP_NEGOTIATE_TARGET_INFO) >>> 0;
  if (msg.version) flags = (flags | NTLMSSP_NEGOTIATE_VERSION) >>> 0;
  const w = new MessageWriter(NtLmChallenge, msg.version ? FIXED + 8 : FIXED);
  w.field(12, encodeString(msg.targetName, hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE)));
  w.u32(20, flags);
  w.bytes(24, msg.serverChallenge);
  w.field(40, encodeAvPairs(msg.targetInfo));
  if (msg.version) w.bytes(48, encodeVersion(msg.version));
  return w.finish();
}

/**
 * @throws NtlmError `invalid-token` when the message is not a well-formed CHALLENGE_MESSAGE with
 *   TargetInfo (NTLMv2 needs it).
 */
export function parseChallenge(bytes: Uint8Array): ChallengeMessage {
  checkHeader(bytes, NtLmChallenge, FIXED);
  const flags = readU32(bytes, 20, "CHALLENGE flags");
  const first = firstPayloadOffset(bytes, [12, 40]);
  const hasVersion =
    hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) && bytes.length >= FIXED + 8 && (first ?? 56) >= 56;
  const headerEnd = hasVersion ? FIXED + 8 : FIXED;
  const unicode = hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE);
  const targetName = decodeString(
    readField(bytes, 12, headerEnd, "CHALLENGE TargetName").bytes,
    unicode,
    "TargetName",
  );
  const info = readField(bytes, 40, headerEnd, "CHALLENGE TargetInfo").bytes;
  if (!hasFlag(flags, NTLMSSP_NEGOTIATE_TARGET_INFO) || info.length === 0)
    throw invalidToken("CHALLENGE message without TargetInfo: the server does not offer NTLMv2");
  const msg: ChallengeMessage = {
    flags,
    targetName,
    serverChallenge: readBytes(bytes, 24, 8, "ServerChallenge").slice(),
    targetInfo: parseAvPairs(info, "CHALLENGE TargetInfo"),
  };
  if (hasVersion) msg.version = parseVersion(bytes, 48);
  return msg;
}
