/**
 * The NTLMv2 response (MS-NLMP §2.2.2.7, §3.3.2): the client-challenge blob
 * (NTLMv2_CLIENT_CHALLENGE), NTProofStr, the response itself, LMv2, and the session base key.
 *
 * ```
 * temp = 0x01 0x01 Z(6) ‖ Time(8) ‖ ClientChallenge(8) ‖ Z(4) ‖ AvPairs ‖ Z(4)
 * NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge ‖ temp)
 * NtChallengeResponse = NTProofStr ‖ temp
 * SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr)
 * LMv2 = HMAC_MD5(ResponseKeyLM, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge
 * ```
 *
 * @module
 */
import { type AvPair, encodeAvPairs, parseAvPairs } from "../av-pairs.js";
import { concat, readBytes, readU64, writeU64 } from "../messages/wire.js";
import { invalidToken } from "../ntlm-error.js";
import { hmacMd5 } from "./hashes.js";

/** The parsed NTLMv2_CLIENT_CHALLENGE. */
export interface ClientChallengeBlob {
  /** FILETIME. */
  timestamp: bigint;
  clientChallenge: Uint8Array;
  avPairs: AvPair[];
}

/** Encodes `temp`: the blob that follows NTProofStr in the NT response. */
export function encodeClientChallengeBlob(blob: ClientChallengeBlob): Uint8Array {
  if (blob.clientChallenge.length !== 8) throw new RangeError("ClientChallenge is 8 bytes");
  const head = new Uint8Array(28);
  head[0] = 1;
  head[1] = 1;
  writeU64(head, 8, blob.timestamp);
  head.set(blob.clientChallenge, 16);
  return concat(head, encodeAvPairs(blob.avPairs), new Uint8Array(4));
}

/**
 * Parses `temp` (the NT response minus its first 16 bytes).
 *
 * @throws NtlmError `invalid-token` on a wrong RespType/HiRespType, a truncated blob or bad pairs.
 */
export function parseClientChallengeBlob(temp: Uint8Array): ClientChallengeBlob {
  if (temp.length < 28 + 4) throw invalidToken("NTLMv2 response: client challenge blob truncated");
  if (temp[0] !== 1 || temp[1] !== 1)
    throw invalidToken(`NTLMv2 response: RespType ${temp[0]}/HiRespType ${temp[1]}, expected 1/1`);
  return {
    timestamp: readU64(temp, 8, "NTLMv2 TimeStamp"),
    clientChallenge: readBytes(temp, 16, 8, "ChallengeFromClient").slice(),
    avPairs: parseAvPairs(temp.subarray(28), "NTLMv2 response AvPairs"),
  };
}

export function ntProofStr(
  responseKeyNT: Uint8Array,
  serverChallenge: Uint8Array,
  temp: Uint8Array,
): Uint8Array {
  return hmacMd5(responseKeyNT, serverChallenge, temp);
}

export function sessionBaseKey(responseKeyNT: Uint8Array, proof: Uint8Array): Uint8Array {
  return hmacMd5(responseKeyNT, proof);
}

/** The NTLMv2 response and the keys the client derives from it. */
export interface Ntlmv2Response {
  ntChallengeResponse: Uint8Array;
  ntProofStr: Uint8Array;
  sessionBaseKey: Uint8Array;
}

/** Computes the client's NtChallengeResponse for `serverChallenge` and `blob`. */
export function computeNtlmv2Response(
  responseKeyNT: Uint8Array,
  serverChallenge: Uint8Array,
  blob: ClientChallengeBlob,
): Ntlmv2Response {
  const temp = encodeClientChallengeBlob(blob);
  const proof = ntProofStr(responseKeyNT, serverChallenge, temp);
  return {
    ntChallengeResponse: concat(proof, temp),
    ntProofStr: proof,
    sessionBaseKey: sessionBaseKey(responseKeyNT, proof),
  };
}

/** LMv2 (ResponseKeyLM = NTOWFv2 in NTLMv2). */
export function lmv2Response(
  responseKeyLM: Uint8Array,
  serverChallenge: Uint8Array,
  clientChallenge: Uint8Array,
): Uint8Array {
  return concat(hmacMd5(responseKeyLM, serverChallenge, clientChallenge), clientChallenge);
}
