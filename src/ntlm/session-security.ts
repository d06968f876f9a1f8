/**
 * NTLM session security with extended session security (MS-NLMP §3.4): message signatures
 * (MakeSignature/VerifySignature) and sealing (EncryptMessage/DecryptMessage), connection-oriented.
 *
 * Each direction has its SignKey, one RC4 handle keyed once with its SealKey and kept across
 * messages, and a sequence number starting at 0. A signature is 16 bytes:
 * `Version u32 = 1 ‖ Checksum(8) ‖ SeqNum u32`, where
 * `Checksum = HMAC_MD5(SignKey, SeqNum ‖ message)[0..7]`, RC4-encrypted with the direction's
 * handle when NTLMSSP_NEGOTIATE_KEY_EXCH was negotiated. Sealing RC4-encrypts the message with the
 * same handle, then signs the plaintext (§3.4.3); signing and sealing share the handle and counter.
 *
 * The receiver checks the sequence number before touching any state, so a replayed, reordered or
 * missing message is refused (`out-of-sequence`) and the next expected one still verifies. A bad
 * checksum (`message-altered`) has advanced the RC4 handle: that direction is unusable afterwards
 * and says so.
 *
 * @module
 */

import { Rc4 } from "../crypto/rc4.js";
import { constantTimeEqual, hmacMd5 } from "./crypto/hashes.js";
import { type Direction, sealKey, signKey } from "./crypto/session-keys.js";
import { concat, readU32, writeU32 } from "./messages/wire.js";
import {
  hasFlag,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
} from "./negotiate-flags.js";
import { NtlmError } from "./ntlm-error.js";

/** Size of an NTLM message signature (cbMaxSignature, cbSecurityTrailer). */
export const NTLM_SIGNATURE_SIZE = 16;

/** One direction's keys and state. */
class Channel {
  readonly signKey: Uint8Array;
  private readonly sealKey: Uint8Array;
  handle: Rc4;
  seqNum = 0;
  broken = false;

  constructor(exportedSessionKey: Uint8Array, flags: number, direction: Direction) {
    this.signKey = signKey(exportedSessionKey, direction);
    this.sealKey = sealKey(exportedSessionKey, flags, direction);
    this.handle = new Rc4(this.sealKey);
  }

  /** A fresh RC4 handle keyed with the SealKey; the sequence number goes on. */
  rekey(): void {
    this.handle = new Rc4(this.sealKey);
  }
}

/** Options of {@link NtlmSessionSecurity.wrap} and {@link NtlmSessionSecurity.unwrap}. */
export interface WrapOptions {
  /** Seal even without NTLMSSP_NEGOTIATE_SEAL, as gss-ntlmssp's gss_wrap does. */
  alwaysSeal?: boolean;
}

/** One buffer of {@link NtlmSessionSecurity.sealInPlace}: its bytes, and whether to seal them. */
export interface SealPart {
  readonly data: Uint8Array;
  readonly seal: boolean;
}

/** Who holds this end: the client sends client-to-server, the server server-to-client. */
export type NtlmRole = "client" | "server";

export class NtlmSessionSecurity {
  private readonly outgoing: Channel;
  private readonly incoming: Channel;
  private readonly keyExchange: boolean;

  /**
   * @param exportedSessionKey the 16-byte ExportedSessionKey of the completed exchange
   * @param flags the negotiated flags (from the AUTHENTICATE message)
   * @throws NtlmError `algorithm-mismatch` without extended session security (NTLMv1-style
   *   signatures are not implemented).
   */
  constructor(
    exportedSessionKey: Uint8Array,
    readonly flags: number,
    role: NtlmRole,
  ) {
    if (!hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY))
      throw new NtlmError(
        "algorithm-mismatch",
        "signing and sealing need NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (NTLMv1-style session security is not supported)",
      );
    this.keyExchange = hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH);
    const [out, inc]: [Direction, Direction] =
      role === "client" ? ["client-to-server", "server-to-client"] : ["server-to-client", "client-to-server"];
    this.outgoing = new Channel(exportedSessionKey, flags, out);
    this.incoming = new Channel(exportedSessionKey, flags, inc);
  }

  /** Whether integrity (NTLMSSP_NEGOTIATE_SIGN) was negotiated. */
  get integrity(): boolean {
    return hasFlag(this.flags, NTLMSSP_NEGOTIATE_SIGN) || this.confidentiality;
  }

  /** Whether confidentiality (NTLMSSP_NEGOTIATE_SEAL) was negotiated. */
  get confidentiality(): boolean {
    return hasFlag(this.flags, NTLMSSP_NEGOTIATE_SEAL);
  }

  /** The next sequence numbers, for tests and attributes. */
  get sequence(): { send: number; receive: number } {
    return { send: this.outgoing.seqNum, receive: this.incoming.seqNum };
  }

  /**
   * Re-keys one direction's RC4 handle with its SealKey, as if no message had been sealed or
   * signed in that direction; the sequence number is kept. SPNEGO needs this after the
   * mechListMIC ("NTLM RC4 Key State for MechListMIC and First Signed Message", MS-SPNG
   * §3.2.5.1): `"outgoing"` after making it, `"incoming"` after verifying the peer's.
   */
  resetRc4(direction: "outgoing" | "incoming"): void {
    (direction === "outgoing" ? this.outgoing : this.incoming).rekey();
  }

  /** MakeSignature: the 16-byte signature of `message` (several buffers are signed as one). */
  sign(message: Uint8Array | readonly Uint8Array[]): Uint8Array {
    this.require(this.integrity, "signing (NTLMSSP_NEGOTIATE_SIGN) was not negotiated");
    return this.signWith(this.outgoing, join(message));
  }

  /**
   * VerifySignature.
   *
   * @throws NtlmError `out-of-sequence` (replayed, reordered or missing message; no state changes),
   *   `message-altered` (the checksum does not match), `invalid-token` (not a 16-byte signature).
   */
  verify(message: Uint8Array | readonly Uint8Array[], signature: Uint8Array): void {
    this.require(this.integrity, "signing (NTLMSSP_NEGOTIATE_SIGN) was not negotiated");
    this.checkSignature(this.incoming, signature);
    this.verifyWith(this.incoming, join(message), signature);
  }

  /** EncryptMessage: the sealed bytes and the signature of the plaintext. */
  seal(message: Uint8Array): { sealed: Uint8Array; signature: Uint8Array } {
    this.require(this.confidentiality, "sealing (NTLMSSP_NEGOTIATE_SEAL) was not negotiated");
    return this.sealUnchecked(message);
  }

  /**
   * DecryptMessage: the plaintext of `sealed`, after verifying `signature`.
   *
   * @throws NtlmError as {@link verify}.
   */
  unseal(sealed: Uint8Array, signature: Uint8Array): Uint8Array {
    this.require(this.confidentiality, "sealing (NTLMSSP_NEGOTIATE_SEAL) was not negotiated");
    return this.unsealUnchecked(sealed, signature);
  }

  /**
   * EncryptMessage over several buffers, in place: the buffers with `seal` are sealed in order
   * with this direction's continuing RC4 handle (as one message would be), then the plaintext of
   * all of them (read-only ones included, MS-NLMP §3.4.9.1) is signed.
   *
   * @returns the signature.
   */
  sealInPlace(parts: readonly SealPart[]): Uint8Array {
    this.require(this.confidentiality, "sealing (NTLMSSP_NEGOTIATE_SEAL) was not negotiated");
    const plaintext = concat(...parts.map((p) => p.data));
    for (const p of parts) if (p.seal) p.data.set(this.outgoing.handle.process(p.data));
    return this.signWith(this.outgoing, plaintext);
  }

  /**
   * DecryptMessage over several buffers, in place: the inverse of {@link sealInPlace}.
   *
   * @throws NtlmError as {@link verify}; the sequence number is checked before anything changes.
   */
  unsealInPlace(parts: readonly SealPart[], signature: Uint8Array): void {
    this.require(this.confidentiality, "sealing (NTLMSSP_NEGOTIATE_SEAL) was not negotiated");
    this.checkSignature(this.incoming, signature);
    for (const p of parts) if (p.seal) p.data.set(this.incoming.handle.process(p.data));
    this.verifyWith(this.incoming, concat(...parts.map((p) => p.data)), signature);
  }

  /**
   * GSS_WrapEx (MS-NLMP §3.4.6), the token of gss-ntlmssp and python `ntlm-auth`:
   * `signature ‖ sealed` when confidentiality was negotiated, else `signature ‖ message`
   * (integrity only). `alwaysSeal` follows gss-ntlmssp instead, whose gss_wrap seals whenever
   * signing keys exist, negotiated NTLMSSP_NEGOTIATE_SEAL or not (the token does not say which).
   */
  wrap(message: Uint8Array, options: WrapOptions = {}): Uint8Array {
    if (this.confidentiality || (options.alwaysSeal && this.integrity)) {
      const { sealed, signature } = this.sealUnchecked(message);
      return concat(signature, sealed);
    }
    return concat(this.sign(message), message);
  }

  /** GSS_UnwrapEx, the inverse of {@link wrap} with the same options. @throws NtlmError as {@link verify}. */
  unwrap(token: Uint8Array, options: WrapOptions = {}): Uint8Array {
    if (token.length < NTLM_SIGNATURE_SIZE)
      throw new NtlmError("invalid-token", `a wrap token has at least ${NTLM_SIGNATURE_SIZE} bytes`);
    const signature = token.subarray(0, NTLM_SIGNATURE_SIZE);
    const body = token.subarray(NTLM_SIGNATURE_SIZE);
    if (this.confidentiality || (options.alwaysSeal && this.integrity))
      return this.unsealUnchecked(body, signature);
    this.verify(body, signature);
    return body.slice();
  }

  private sealUnchecked(message: Uint8Array): { sealed: Uint8Array; signature: Uint8Array } {
    const sealed = this.outgoing.handle.process(message);
    return { sealed, signature: this.signWith(this.outgoing, message) };
  }

  private unsealUnchecked(sealed: Uint8Array, signature: Uint8Array): Uint8Array {
    this.checkSignature(this.incoming, signature);
    const plaintext = this.incoming.handle.process(sealed);
    this.verifyWith(this.incoming, plaintext, signature);
    return plaintext;
  }

  private require(condition: boolean, reason: string): void {
    if (!condition) throw new NtlmError("unsupported", reason);
  }

  private signWith(ch: Channel, message: Uint8Array): Uint8Array {
    const seq = new Uint8Array(4);
    writeU32(seq, 0, ch.seqNum);
    let checksum = hmacMd5(ch.signKey, seq, message).subarray(0, 8);
    if (this.keyExchange) checksum = ch.handle.process(checksum);
    const signature = new Uint8Array(NTLM_SIGNATURE_SIZE);
    writeU32(signature, 0, 1);
    signature.set(checksum, 4);
    signature.set(seq, 12);
    ch.seqNum = (ch.seqNum + 1) >>> 0;
    return signature;
  }

  private checkSignature(ch: Channel, signature: Uint8Array): void {
    if (ch.broken)
      throw new NtlmError(
        "message-altered",
        "an earlier message failed verification: this direction's RC4 state is lost, the context must be discarded",
      );
    if (signature.length !== NTLM_SIGNATURE_SIZE)
      throw new NtlmError(
        "invalid-token",
        `an NTLM signature is ${NTLM_SIGNATURE_SIZE} bytes, got ${signature.length}`,
      );
    if (readU32(signature, 0, "signature Version") !== 1)
      throw new NtlmError("invalid-token", "NTLM signature version is not 1");
    const seq = readU32(signature, 12, "signature SeqNum");
    if (seq !== ch.seqNum)
      throw new NtlmError(
        "out-of-sequence",
        `message sequence number ${seq}, expected ${ch.seqNum} (${seq < ch.seqNum ? "replayed" : "reordered or missing"})`,
      );
  }

  private verifyWith(ch: Channel, message: Uint8Array, signature: Uint8Array): void {
    const expected = this.signWith(ch, message);
    if (!constantTimeEqual(expected, signature)) {
      ch.broken = true;
      throw new NtlmError("message-altered", "the message signature does not match");
    }
  }
}

function join(message: Uint8Array | readonly Uint8Array[]): Uint8Array {
  return message instanceof Uint8Array ? message : concat(...message);
}
