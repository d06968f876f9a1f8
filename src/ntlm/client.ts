/**
 * The NTLM client (initiator) as a pure state machine, no handles, no I/O:
 *
 * ```
 * start ──negotiate()──▶ expect-challenge ──authenticate(CHALLENGE)──▶ complete
 *                                  └───────── any failure ──────────▶ failed
 * ```
 *
 * NTLMv2 only. The AUTHENTICATE message carries the server's MsvAvTimestamp (then a MIC and
 * MsvAvFlags 0x2 and an all-zero LmChallengeResponse), MsvAvTargetName from the SPN, and
 * MsvAvChannelBindings when channel bindings are given (omitted otherwise, as gss-ntlmssp does).
 *
 * @module
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  avFlags,
  avTimestamp,
  flagsAv,
  MSV_AV_FLAG_MIC_PRESENT,
  MsvAvChannelBindings,
  MsvAvFlags,
  MsvAvTargetName,
  stringAv,
  withAv,
} from "./av-pairs.js";
import { credentialsNtHash, type NtlmClientCredentials } from "./credentials.js";
import { type ChannelBindings, channelBindingsHash } from "./crypto/channel-bindings.js";
import { computeMic } from "./crypto/mic.js";
import { computeNtlmv2Response, lmv2Response } from "./crypto/ntlmv2-response.js";
import { ntowfv2 } from "./crypto/ntowf.js";
import { encryptRandomSessionKey, keyExchangeKey } from "./crypto/session-keys.js";
import { nowFiletime } from "./filetime.js";
import { encodeAuthenticate, MIC_OFFSET } from "./messages/authenticate-message.js";
import { parseChallenge } from "./messages/challenge-message.js";
import { encodeNegotiate } from "./messages/negotiate-message.js";
import {
  hasFlag,
  NTLM_NEGOTIATE_OEM,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_NTLM,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_TARGET_INFO,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_NEGOTIATE_VERSION,
  NTLMSSP_REQUEST_TARGET,
  NTLMSSP_TARGET_TYPE_DOMAIN,
  NTLMSSP_TARGET_TYPE_SERVER,
} from "./negotiate-flags.js";
import { NtlmError } from "./ntlm-error.js";
import { NtlmSessionSecurity } from "./session-security.js";
import { OUR_VERSION } from "./version.js";

export interface NtlmClientOptions {
  credentials: NtlmClientCredentials;
  /** The SPN of the service (`HTTP/host.example.test`), sent as MsvAvTargetName. */
  targetName?: string;
  /** The workstation name sent in AUTHENTICATE; default: this host's first label, upper-cased, ≤ 15 characters. */
  workstation?: string;
  /** Ask for signing (ISC_REQ_INTEGRITY). */
  integrity?: boolean;
  /** Ask for sealing (ISC_REQ_CONFIDENTIALITY); implies integrity. */
  confidentiality?: boolean;
  /** The channel bindings of the outer channel (TLS), hashed into MsvAvChannelBindings. */
  channelBindings?: ChannelBindings;
  /** Source of random bytes (the client challenge, the exported session key); tests fix it. */
  randomBytes?: (n: number) => Uint8Array;
  /** The FILETIME used when the CHALLENGE has no MsvAvTimestamp; tests fix it. */
  now?: () => bigint;
}

/** What a completed client knows. */
export interface NtlmClientResult {
  /** The negotiated flags, as sent in AUTHENTICATE. */
  flags: number;
  /** ExportedSessionKey (SECPKG_ATTR_SESSION_KEY). */
  exportedSessionKey: Uint8Array;
  /** Signing/sealing, present when extended session security was negotiated. */
  session: NtlmSessionSecurity | undefined;
  /** Whether a MIC was sent. */
  mic: boolean;
  /** The server's TargetName from the CHALLENGE. */
  serverTargetName: string;
}

type ClientState =
  | { phase: "start" }
  | { phase: "expect-challenge"; negotiate: Uint8Array }
  | { phase: "complete"; result: NtlmClientResult }
  | { phase: "failed" };

/** The flags this client can use in any exchange. */
const BASE_FLAGS =
  NTLMSSP_NEGOTIATE_UNICODE |
  NTLM_NEGOTIATE_OEM |
  NTLMSSP_REQUEST_TARGET |
  NTLMSSP_NEGOTIATE_NTLM |
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NTLMSSP_NEGOTIATE_VERSION;

/** Flags the client accepts from a CHALLENGE without having asked for them. */
const SERVER_INFO_FLAGS =
  NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_TARGET_TYPE_DOMAIN | NTLMSSP_TARGET_TYPE_SERVER;

export class NtlmClient {
  private state: ClientState = { phase: "start" };
  private readonly requested: number;
  private readonly random: (n: number) => Uint8Array;

  constructor(private readonly options: NtlmClientOptions) {
    let flags = BASE_FLAGS;
    if (options.integrity || options.confidentiality)
      flags |=
        NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56;
    if (options.confidentiality) flags |= NTLMSSP_NEGOTIATE_SEAL;
    this.requested = flags >>> 0;
    this.random = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
  }

  /** The current phase (`start`, `expect-challenge`, `complete`, `failed`). */
  get phase(): ClientState["phase"] {
    return this.state.phase;
  }

  /** The outcome, once complete. */
  get result(): NtlmClientResult | undefined {
    return this.state.phase === "complete" ? this.state.result : undefined;
  }

  /** Leg 1: the NEGOTIATE message. */
  negotiate(): Uint8Array {
    if (this.state.phase !== "start")
      throw this.fail(new NtlmError("out-of-sequence", `NEGOTIATE requested in phase ${this.state.phase}`));
    const negotiate = encodeNegotiate({ flags: this.requested, version: OUR_VERSION });
    this.state = { phase: "expect-challenge", negotiate };
    return negotiate;
  }

  /**
   * Leg 2: the AUTHENTICATE message answering `challengeBytes`; `channelBindings` (the SSPI
   * package's, given with the CHALLENGE) replace those of the options.
   *
   * @throws NtlmError `invalid-token` (malformed CHALLENGE or one without TargetInfo),
   *   `algorithm-mismatch` (integrity/confidentiality asked, no extended session security offered),
   *   `no-credentials` (malformed NT hash), `out-of-sequence` (wrong phase).
   */
  authenticate(challengeBytes: Uint8Array, channelBindings?: ChannelBindings): Uint8Array {
    const state = this.state;
    if (state.phase !== "expect-challenge")
      throw this.fail(new NtlmError("out-of-sequence", `CHALLENGE received in phase ${state.phase}`));
    try {
      const bindings = channelBindings ?? this.options.channelBindings;
      const { message, result } = this.respond(state.negotiate, challengeBytes, bindings);
      this.state = { phase: "complete", result };
      return message;
    } catch (e) {
      throw this.fail(e);
    }
  }

  /** Generic driver: no input → NEGOTIATE; a CHALLENGE → AUTHENTICATE (then `done`). */
  step(input?: Uint8Array): { output: Uint8Array; done: boolean } {
    if (this.state.phase === "start" && (input === undefined || input.length === 0))
      return { output: this.negotiate(), done: false };
    return { output: this.authenticate(input ?? new Uint8Array(0)), done: true };
  }

  private respond(negotiate: Uint8Array, challengeBytes: Uint8Array, bindings: ChannelBindings | undefined) {
    const o = this.options;
    const challenge = parseChallenge(challengeBytes);
    let flags = (challenge.flags & (this.requested | SERVER_INFO_FLAGS)) >>> 0;
    if (!hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE) && !hasFlag(flags, NTLM_NEGOTIATE_OEM))
      throw new NtlmError("invalid-token", "CHALLENGE selects neither UNICODE nor OEM strings");
    if (hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE)) flags = (flags & ~NTLM_NEGOTIATE_OEM) >>> 0;
    const wantsSecurity = o.integrity || o.confidentiality;
    if (wantsSecurity && !hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY))
      throw new NtlmError(
        "algorithm-mismatch",
        "the server does not offer NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, needed for NTLMv2 signing and sealing",
      );

    const serverTimestamp = avTimestamp(challenge.targetInfo);
    const withMic = serverTimestamp !== undefined;
    let pairs = challenge.targetInfo;
    if (withMic) pairs = withAv(pairs, MsvAvFlags, flagsAv(avFlags(pairs) | MSV_AV_FLAG_MIC_PRESENT).value);
    if (o.targetName) pairs = withAv(pairs, MsvAvTargetName, stringAv(MsvAvTargetName, o.targetName).value);
    if (bindings) pairs = withAv(pairs, MsvAvChannelBindings, channelBindingsHash(bindings));

    const responseKey = ntowfv2(credentialsNtHash(o.credentials), o.credentials.User, o.credentials.Domain);
    const clientChallenge = this.random(8);
    const response = computeNtlmv2Response(responseKey, challenge.serverChallenge, {
      timestamp: serverTimestamp ?? (o.now ?? nowFiletime)(),
      clientChallenge,
      avPairs: pairs,
    });
    const lm = withMic
      ? new Uint8Array(24)
      : lmv2Response(responseKey, challenge.serverChallenge, clientChallenge);

    const kxkey = keyExchangeKey(response.sessionBaseKey);
    const keyExchange =
      hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH) &&
      (hasFlag(flags, NTLMSSP_NEGOTIATE_SIGN) || hasFlag(flags, NTLMSSP_NEGOTIATE_SEAL));
    const exportedSessionKey = keyExchange ? this.random(16) : kxkey;
    const message = encodeAuthenticate(
      {
        lmChallengeResponse: lm,
        ntChallengeResponse: response.ntChallengeResponse,
        domain: o.credentials.Domain,
        user: o.credentials.User,
        workstation: o.workstation ?? defaultWorkstation(),
        encryptedRandomSessionKey: keyExchange
          ? encryptRandomSessionKey(kxkey, exportedSessionKey)
          : new Uint8Array(0),
        flags,
        version: OUR_VERSION,
      },
      withMic,
    );
    if (withMic) message.set(computeMic(exportedSessionKey, negotiate, challengeBytes, message), MIC_OFFSET);
    const session = hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)
      ? new NtlmSessionSecurity(exportedSessionKey, flags, "client")
      : undefined;
    const result: NtlmClientResult = {
      flags,
      exportedSessionKey,
      session,
      mic: withMic,
      serverTargetName: challenge.targetName,
    };
    return { message, result };
  }

  private fail(e: unknown): unknown {
    this.state = { phase: "failed" };
    return e;
  }
}

/** This host's first DNS label, upper-cased and cut to a NetBIOS name's 15 characters. */
export function defaultWorkstation(): string {
  return (hostname().split(".")[0] ?? "").toUpperCase().slice(0, 15);
}
