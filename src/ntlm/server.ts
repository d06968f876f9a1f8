/**
 * The NTLM server (acceptor) as a pure state machine, no handles, no I/O. An {@link NtlmServer}
 * holds what all connections share (user store, names, binding policy, replay cache); each
 * connection gets an {@link NtlmServerContext}:
 *
 * ```
 * expect-negotiate ──challenge(NEGOTIATE)──▶ expect-authenticate ──authenticate(AUTHENTICATE)──▶ complete
 *                                  └──────────────── any failure ────────────────────────────▶ failed
 * ```
 *
 * The server challenge is used once: after one AUTHENTICATE, successful or not, the context takes
 * no more input. Verification order: shape (`invalid-token`), NTLMv2 only (`downlevel-refused`),
 * NTProofStr in constant time with a dummy hash for unknown users (`logon-denied`, one reason text
 * for both), MIC when MsvAvFlags says there is one (`message-altered`), channel bindings under the
 * policy (`bad-bindings`), replay (`replayed`).
 *
 * @module
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";
import {
  type AvPair,
  avFlags,
  avString,
  findAv,
  MSV_AV_FLAG_MIC_PRESENT,
  MsvAvChannelBindings,
  MsvAvDnsComputerName,
  MsvAvDnsDomainName,
  MsvAvDnsTreeName,
  MsvAvNbComputerName,
  MsvAvNbDomainName,
  MsvAvTargetName,
  stringAv,
  timestampAv,
} from "./av-pairs.js";
import { type ChannelBindings, channelBindingsHash } from "./crypto/channel-bindings.js";
import { constantTimeEqual } from "./crypto/hashes.js";
import { computeMic } from "./crypto/mic.js";
import { ntProofStr, parseClientChallengeBlob, sessionBaseKey } from "./crypto/ntlmv2-response.js";
import { ntowfv2 } from "./crypto/ntowf.js";
import { decryptRandomSessionKey, keyExchangeKey } from "./crypto/session-keys.js";
import { nowFiletime } from "./filetime.js";
import { type AuthenticateMessage, parseAuthenticate } from "./messages/authenticate-message.js";
import { encodeChallenge } from "./messages/challenge-message.js";
import { parseNegotiate } from "./messages/negotiate-message.js";
import {
  hasFlag,
  NTLM_NEGOTIATE_OEM,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_IDENTIFY,
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
import { LOGON_DENIED_REASON, NtlmError } from "./ntlm-error.js";
import { ReplayCache } from "./replay-cache.js";
import { NtlmSessionSecurity } from "./session-security.js";
import type { NtlmUserStore } from "./user-store.js";
import { OUR_VERSION } from "./version.js";

/**
 * How the server treats channel bindings (Windows' Extended Protection levels):
 * - `never`: not checked (Off);
 * - `when-supported`: a client that sends bindings must send this connection's; a client that
 *   sends none (or all zeros) is accepted unbound (Accept, `ASC_REQ_ALLOW_MISSING_BINDINGS`);
 * - `required`: the client must send this connection's bindings (Required).
 */
export type ChannelBindingPolicy = "never" | "when-supported" | "required";

export interface NtlmServerOptions {
  users: NtlmUserStore;
  /** NetBIOS computer name (MsvAvNbComputerName), e.g. `SERVER`. */
  nbComputerName: string;
  /** NetBIOS domain name (MsvAvNbDomainName and the CHALLENGE TargetName), e.g. `TESTDOM`. */
  nbDomainName: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  /** Default `when-supported`. */
  channelBindingPolicy?: ChannelBindingPolicy;
  /** Source of random bytes (server challenges, the dummy hash); tests fix it. */
  randomBytes?: (n: number) => Uint8Array;
  /** The FILETIME put in MsvAvTimestamp; tests fix it. */
  now?: () => bigint;
  /** Accepted proofs remembered against replay; default a 36-hour cache per server. */
  replayCache?: ReplayCache;
}

/** A verified user and what the session needs. */
export interface NtlmAuthenticatedUser {
  user: string;
  domain: string;
  workstation: string;
  /** Negotiated flags (AUTHENTICATE flags within what the CHALLENGE offered). */
  flags: number;
  exportedSessionKey: Uint8Array;
  /** Signing/sealing, present when extended session security was negotiated. */
  session: NtlmSessionSecurity | undefined;
  /** The client's MsvAvTargetName (SECPKG_ATTR_CLIENT_SPECIFIED_TARGET). */
  clientTargetName: string | undefined;
  /** True when the client's bindings matched this connection's. */
  channelBound: boolean;
  /** Whether the client sent a MIC (and it verified). */
  mic: boolean;
}

/** Per-connection options. */
export interface NtlmServerContextOptions {
  /** This connection's channel bindings (from the TLS package). */
  channelBindings?: ChannelBindings;
  /** This connection's policy instead of the server's (`ASC_REQ_ALLOW_MISSING_BINDINGS` relaxes `required`). */
  channelBindingPolicy?: ChannelBindingPolicy;
}

export class NtlmServer {
  readonly policy: ChannelBindingPolicy;
  readonly random: (n: number) => Uint8Array;
  readonly replay: ReplayCache;
  /** Hash used for unknown users, so they cost the same as known ones. */
  readonly dummyHash: Uint8Array;

  constructor(readonly options: NtlmServerOptions) {
    this.policy = options.channelBindingPolicy ?? "when-supported";
    this.random = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    this.replay = options.replayCache ?? new ReplayCache();
    this.dummyHash = new Uint8Array(nodeRandomBytes(16));
  }

  /**
   * A context for one connection.
   *
   * @throws TypeError under policy `required` without `channelBindings` (a configuration error;
   *   the SSPI package, which learns the bindings per call, passes them to `authenticate`).
   */
  createContext(options: NtlmServerContextOptions = {}): NtlmServerContext {
    if (this.policy === "required" && !options.channelBindings)
      throw new TypeError("channel binding policy 'required' needs this connection's channelBindings");
    return new NtlmServerContext(this, options);
  }

  /** The CHALLENGE TargetInfo: names, then MsvAvTimestamp (MsvAvEOL is added on encoding). */
  targetInfo(timestamp: bigint): AvPair[] {
    const o = this.options;
    const pairs = [
      stringAv(MsvAvNbDomainName, o.nbDomainName),
      stringAv(MsvAvNbComputerName, o.nbComputerName),
    ];
    if (o.dnsDomainName) pairs.push(stringAv(MsvAvDnsDomainName, o.dnsDomainName));
    if (o.dnsComputerName) pairs.push(stringAv(MsvAvDnsComputerName, o.dnsComputerName));
    if (o.dnsTreeName) pairs.push(stringAv(MsvAvDnsTreeName, o.dnsTreeName));
    pairs.push(timestampAv(timestamp));
    return pairs;
  }
}

type ServerState =
  | { phase: "expect-negotiate" }
  | {
      phase: "expect-authenticate";
      negotiate: Uint8Array;
      challenge: Uint8Array;
      serverChallenge: Uint8Array;
      flags: number;
    }
  | { phase: "verifying" }
  | { phase: "complete"; result: NtlmAuthenticatedUser }
  | { phase: "failed" };

/** Flags mirrored from the client's NEGOTIATE when it asks for them. */
const MIRRORED =
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NTLMSSP_NEGOTIATE_IDENTIFY |
  NTLMSSP_NEGOTIATE_128 |
  NTLMSSP_NEGOTIATE_56 |
  NTLMSSP_NEGOTIATE_VERSION;
/** Session-security flags, granted only with extended session security. */
const SECURITY = NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_KEY_EXCH;

/** A parsed, shape-checked AUTHENTICATE waiting for the user's hash. */
interface PendingAuthenticate {
  state: Extract<ServerState, { phase: "expect-authenticate" }>;
  bytes: Uint8Array;
  message: AuthenticateMessage;
  temp: Uint8Array;
  proof: Uint8Array;
  blobPairs: AvPair[];
  /** This connection's bindings: given with the AUTHENTICATE, else at context creation. */
  channelBindings: ChannelBindings | undefined;
}

export class NtlmServerContext {
  private state: ServerState = { phase: "expect-negotiate" };

  constructor(
    private readonly server: NtlmServer,
    private readonly options: NtlmServerContextOptions = {},
  ) {}

  get phase(): ServerState["phase"] {
    return this.state.phase;
  }

  get result(): NtlmAuthenticatedUser | undefined {
    return this.state.phase === "complete" ? this.state.result : undefined;
  }

  /**
   * Leg 1: the CHALLENGE answering `negotiateBytes`.
   *
   * @throws NtlmError `invalid-token` (malformed NEGOTIATE, neither UNICODE nor OEM),
   *   `out-of-sequence` (wrong phase).
   */
  challenge(negotiateBytes: Uint8Array): Uint8Array {
    if (this.state.phase !== "expect-negotiate")
      throw this.fail(new NtlmError("out-of-sequence", `NEGOTIATE received in phase ${this.state.phase}`));
    try {
      const negotiate = parseNegotiate(negotiateBytes);
      const asked = negotiate.flags;
      let flags = NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_TARGET_INFO | (asked & MIRRORED);
      if (hasFlag(asked, NTLMSSP_NEGOTIATE_UNICODE)) flags |= NTLMSSP_NEGOTIATE_UNICODE;
      else if (hasFlag(asked, NTLM_NEGOTIATE_OEM)) flags |= NTLM_NEGOTIATE_OEM;
      else throw new NtlmError("invalid-token", "NEGOTIATE asks for neither UNICODE nor OEM strings");
      if (hasFlag(asked, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) flags |= asked & SECURITY;
      if (hasFlag(asked, NTLMSSP_REQUEST_TARGET)) flags |= NTLMSSP_REQUEST_TARGET;
      flags |= this.server.options.nbDomainName ? NTLMSSP_TARGET_TYPE_DOMAIN : NTLMSSP_TARGET_TYPE_SERVER;
      flags >>>= 0;
      const serverChallenge = this.server.random(8);
      const challenge = encodeChallenge({
        flags,
        targetName: this.server.options.nbDomainName || this.server.options.nbComputerName,
        serverChallenge,
        targetInfo: this.server.targetInfo((this.server.options.now ?? nowFiletime)()),
        ...(hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) ? { version: OUR_VERSION } : {}),
      });
      this.state = {
        phase: "expect-authenticate",
        negotiate: negotiateBytes.slice(),
        challenge,
        serverChallenge,
        flags,
      };
      return challenge;
    } catch (e) {
      throw this.fail(e);
    }
  }

  /**
   * Leg 2: verifies the AUTHENTICATE message; the user store may answer asynchronously.
   *
   * @throws NtlmError `invalid-token`, `downlevel-refused`, `logon-denied`, `message-altered`,
   *   `bad-bindings`, `replayed`, `out-of-sequence` (see the module comment).
   */
  async authenticate(bytes: Uint8Array, channelBindings?: ChannelBindings): Promise<NtlmAuthenticatedUser> {
    const pending = this.begin(bytes, channelBindings);
    let hash: Uint8Array | undefined;
    try {
      hash = await this.server.options.users.lookup(pending.message.user, pending.message.domain);
    } catch {
      hash = undefined;
    }
    return this.finish(pending, hash);
  }

  /**
   * Leg 2 for a synchronous caller (the blocking AcceptSecurityContext).
   *
   * @throws NtlmError as {@link authenticate}, and `unsupported` when the user store answers
   *   with a Promise.
   */
  authenticateSync(bytes: Uint8Array, channelBindings?: ChannelBindings): NtlmAuthenticatedUser {
    const pending = this.begin(bytes, channelBindings);
    let hash: Uint8Array | undefined | Promise<Uint8Array | undefined>;
    try {
      hash = this.server.options.users.lookup(pending.message.user, pending.message.domain);
    } catch {
      hash = undefined;
    }
    if (hash instanceof Promise) {
      hash.catch(() => {});
      throw this.fail(
        new NtlmError(
          "unsupported",
          "the user store answers asynchronously: use the asynchronous AcceptSecurityContext",
        ),
      );
    }
    return this.finish(pending, hash);
  }

  /** Phase and shape checks before the user store is asked. */
  private begin(bytes: Uint8Array, channelBindings: ChannelBindings | undefined): PendingAuthenticate {
    const state = this.state;
    if (state.phase === "complete" || state.phase === "verifying")
      throw new NtlmError("replayed", "this context already received its AUTHENTICATE message");
    if (state.phase !== "expect-authenticate")
      throw this.fail(new NtlmError("out-of-sequence", `AUTHENTICATE received in phase ${state.phase}`));
    this.state = { phase: "verifying" };
    try {
      const message = parseAuthenticate(bytes);
      const nt = message.ntChallengeResponse;
      const lm = message.lmChallengeResponse;
      if (nt.length === 0 && message.user === "" && (lm.length === 0 || (lm.length === 1 && lm[0] === 0)))
        throw new NtlmError("logon-denied", "anonymous logon is not accepted");
      if (nt.length === 24 || (nt.length === 0 && lm.length === 24))
        throw new NtlmError(
          "downlevel-refused",
          "LM and NTLMv1 responses are refused: only NTLMv2 is accepted",
        );
      if (nt.length < 16 + 32)
        throw new NtlmError(
          "invalid-token",
          `NtChallengeResponse of ${nt.length} bytes is not an NTLMv2 response`,
        );
      const temp = nt.subarray(16);
      const blob = parseClientChallengeBlob(temp);
      return {
        state,
        bytes,
        message,
        temp,
        proof: nt.subarray(0, 16),
        blobPairs: blob.avPairs,
        channelBindings: channelBindings ?? this.options.channelBindings,
      };
    } catch (e) {
      throw this.fail(e);
    }
  }

  private finish(p: PendingAuthenticate, storedHash: Uint8Array | undefined): NtlmAuthenticatedUser {
    try {
      const known = storedHash instanceof Uint8Array && storedHash.length === 16;
      const hash = known ? storedHash : this.server.dummyHash;
      const responseKey = ntowfv2(hash, p.message.user, p.message.domain);
      const expected = ntProofStr(responseKey, p.state.serverChallenge, p.temp);
      const match = constantTimeEqual(expected, p.proof);
      if (!(match && known)) throw new NtlmError("logon-denied", LOGON_DENIED_REASON);

      const flags = (p.message.flags & p.state.flags) >>> 0;
      const kxkey = keyExchangeKey(sessionBaseKey(responseKey, expected));
      let exportedSessionKey = kxkey;
      if (hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH) && p.message.encryptedRandomSessionKey.length > 0) {
        if (p.message.encryptedRandomSessionKey.length !== 16)
          throw new NtlmError("invalid-token", "EncryptedRandomSessionKey is not 16 bytes");
        exportedSessionKey = decryptRandomSessionKey(kxkey, p.message.encryptedRandomSessionKey);
      }

      const micPresent = (avFlags(p.blobPairs) & MSV_AV_FLAG_MIC_PRESENT) !== 0;
      if (micPresent) {
        if (!p.message.mic)
          throw new NtlmError("message-altered", "MsvAvFlags announces a MIC the message lacks");
        const mic = computeMic(exportedSessionKey, p.state.negotiate, p.state.challenge, p.bytes);
        if (!constantTimeEqual(mic, p.message.mic))
          throw new NtlmError("message-altered", "the MIC does not match the exchanged messages");
      }

      const channelBound = this.checkBindings(findAv(p.blobPairs, MsvAvChannelBindings), p.channelBindings);
      if (!this.server.replay.remember(p.proof))
        throw new NtlmError("replayed", "this AUTHENTICATE message was already accepted");

      const result: NtlmAuthenticatedUser = {
        user: p.message.user,
        domain: p.message.domain,
        workstation: p.message.workstation,
        flags,
        exportedSessionKey,
        session: hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)
          ? new NtlmSessionSecurity(exportedSessionKey, flags, "server")
          : undefined,
        clientTargetName: avString(p.blobPairs, MsvAvTargetName),
        channelBound,
        mic: micPresent,
      };
      this.state = { phase: "complete", result };
      return result;
    } catch (e) {
      throw this.fail(e);
    }
  }

  /** Applies the binding policy; true when the client's bindings matched. */
  private checkBindings(clientHash: Uint8Array | undefined, expected: ChannelBindings | undefined): boolean {
    const policy = this.options.channelBindingPolicy ?? this.server.policy;
    if (policy === "never") return false;
    if (clientHash === undefined || clientHash.every((b) => b === 0)) {
      if (policy === "required")
        throw new NtlmError("bad-bindings", "channel bindings are required and the client sent none");
      return false;
    }
    if (!expected) {
      if (policy === "required")
        throw new NtlmError(
          "bad-bindings",
          "channel bindings are required and this connection's are unknown",
        );
      return false;
    }
    if (!constantTimeEqual(channelBindingsHash(expected), clientHash))
      throw new NtlmError("bad-bindings", "the client's channel bindings are not this connection's");
    return true;
  }

  private fail(e: unknown): unknown {
    this.state = { phase: "failed" };
    return e;
  }
}
