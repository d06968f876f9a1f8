/**
 * One Negotiate security context: SPNEGO (RFC 4178, MS-SPNG) around the context of the package
 * it chose, driven through the same ISC/ASC loop whatever that package is.
 *
 * ```
 * Kerberos, 2 legs (mutual authentication):
 *   ISC 1           → CONTINUE  NegTokenInit { [MS-KRB5, KRB5, NTLM], mechToken AP-REQ }
 *   ASC 1           → OK        NegTokenResp { accept-completed, MS-KRB5, AP-REP }
 *   ISC 2           → OK
 * NTLM, 4 legs:
 *   ISC 1           → CONTINUE  NegTokenInit { [NTLM], mechToken NEGOTIATE }
 *   ASC 1           → CONTINUE  NegTokenResp { accept-incomplete, NTLM, CHALLENGE }
 *   ISC 2           → CONTINUE  NegTokenResp { AUTHENTICATE, mechListMIC }
 *   ASC 2           → OK        NegTokenResp { accept-completed, mechListMIC }
 *   ISC 3           → OK
 * ```
 *
 * Rules (docs/negotiate.md says the same for users):
 * - The initiator offers every package it has a credential for, Kerberos first (both OIDs), and
 *   sends the first one's token optimistically. When that first step fails (no ticket, no KDC,
 *   unknown service) it falls back to the next package before anything is sent.
 * - The acceptor takes the first mechanism in the client's list it has a credential for. A bare
 *   NTLMSSP or Kerberos token (no SPNEGO) is accepted as Windows does and answered bare.
 * - The mechListMIC is required when the chosen mechanism is not the initiator's first, when the
 *   acceptor asks for it (request-mic), or when the peer sent one; the initiator always sends one
 *   with NTLM (as Windows does: NTLM's own MIC covers only NTLM's messages). A mechanism without
 *   integrity sends none. A MIC that does not verify is `SEC_E_DOWNGRADE_DETECTED`.
 *
 * @module
 */
import { bufferKind, SECBUFFER_TOKEN } from "../sspi/buffer-types.js";
import { ASC_REQ_INTEGRITY, ISC_REQ_INTEGRITY } from "../sspi/context-flags.js";
import { type HostTask, type Reply, reply } from "../sspi/host-task.js";
import type {
  ContextRequest,
  ContextResult,
  InputBuffer,
  Outcome,
  PackageObject,
  SecurityPackage,
} from "../sspi/security-package.js";
import {
  SEC_E_DOWNGRADE_DETECTED,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_TOKEN,
  SEC_E_LOGON_DENIED,
  SEC_E_NO_CREDENTIALS,
  SEC_E_OK,
  SEC_E_OUT_OF_SEQUENCE,
  SEC_I_CONTINUE_NEEDED,
  type SECURITY_STATUS,
} from "../sspi/status.js";
import type { TimeStamp } from "../sspi/types.js";
import { makeMechListMic, verifyMechListMic } from "./mech-list-mic.js";
import { type NegotiablePackage, NTLM_PACKAGE, oidsOf, packageOf, rawMechanismOf } from "./mechanisms.js";
import type { NegotiateCredential, SubCredential } from "./negotiate-credential.js";
import { NegotiateError } from "./negotiate-error.js";
import {
  decodeNegotiationToken,
  encodeMechTypes,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NEG_STATE,
  type NegTokenResp,
} from "./spnego-token.js";

/** How a sub-package's ISC/ASC is called: asynchronously, or inside a blocking call. */
export type ProcessCall = (pkg: SecurityPackage, request: ContextRequest) => Reply<ContextResult>;

/** The chosen (or tried) mechanism and its package context. */
export interface Mech {
  readonly name: NegotiablePackage;
  readonly pkg: SecurityPackage;
  readonly credential: PackageObject;
  context: PackageObject | null;
  /** The package's context is established. */
  complete: boolean;
}

/** What SPNEGO keeps while it negotiates. */
interface Negotiation {
  /** The MechTypeList as the initiator sent it (what the mechListMIC covers). */
  readonly mechTypesDer: Uint8Array;
  /** The mechanism OIDs of that list. */
  readonly mechTypes: readonly string[];
  micRequired: boolean;
  micSent: boolean;
  micVerified: boolean;
  /** Initiator: the acceptor's first NegTokenResp was read. Acceptor: its first one was sent. */
  answered: boolean;
}

/** The phases of a context. */
type Phase =
  | { readonly kind: "start" }
  | { readonly kind: "spnego"; readonly mech: Mech; readonly negotiation: Negotiation }
  | { readonly kind: "raw"; readonly mech: Mech }
  | { readonly kind: "complete"; readonly mech: Mech; readonly raw: boolean }
  | { readonly kind: "failed"; readonly mech: Mech | null };

export class NegotiateContext {
  private phase: Phase = { kind: "start" };
  /** `ISC_RET_*` / `ASC_RET_*` of the last step (the chosen package's). */
  contextAttr = 0;
  expiry: TimeStamp = 0n;
  /** Channel bindings and other non-token input buffers, the last ones given, for every package call. */
  private passThrough: readonly InputBuffer[] = [];
  /** Package contexts tried and given up (deleted with this one). */
  readonly abandoned: Mech[] = [];
  private targetName: string | null = null;

  constructor(
    readonly role: "initiator" | "acceptor",
    private readonly credential: NegotiateCredential,
    private readonly request: Pick<ContextRequest, "contextReq" | "contextReqHigh" | "targetDataRep">,
  ) {}

  /** The mechanism chosen so far (null before the first step or when none could start). */
  get mech(): Mech | null {
    return this.phase.kind === "start" ? null : this.phase.mech;
  }

  /** The negotiation finished and the chosen package's context is established. */
  get complete(): boolean {
    return this.phase.kind === "complete";
  }

  /** One ISC/ASC step. Never throws: failures are statuses with safe reasons. */
  *step(request: ContextRequest, call: ProcessCall): HostTask<ContextResult> {
    try {
      const others = request.input.filter((b) => bufferKind(b.type) !== SECBUFFER_TOKEN);
      if (others.length > 0) this.passThrough = others;
      if (this.targetName === null) this.targetName = request.targetName;
      const token = request.input.find((b) => bufferKind(b.type) === SECBUFFER_TOKEN)?.data;
      if (this.phase.kind === "complete" || this.phase.kind === "failed")
        throw new NegotiateError(SEC_E_OUT_OF_SEQUENCE, "the negotiation is already over");
      return this.role === "initiator" ? yield* this.initiate(token, call) : yield* this.accept(token, call);
    } catch (e) {
      this.phase = { kind: "failed", mech: this.mech };
      if (e instanceof NegotiateError) return this.result(e.status, undefined, e.reason);
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : "unknown failure";
      return this.result(SEC_E_INTERNAL_ERROR, undefined, `internal error (${reason})`);
    }
  }

  // ---- initiator ----------------------------------------------------------------------------

  private *initiate(token: Uint8Array | undefined, call: ProcessCall): HostTask<ContextResult> {
    // A server may speak first with a NegTokenInit2 of hints; clients ignore hints (MS-SPNG §3.1.5.1).
    if (this.phase.kind === "start") return yield* this.start(call);
    if (this.phase.kind !== "spnego") throw new NegotiateError(SEC_E_OUT_OF_SEQUENCE, "not negotiating");
    if (token === undefined || token.length === 0)
      throw invalid("InitializeSecurityContext needs the server's token in a SECBUFFER_TOKEN");
    const resp = decodeNegotiationToken(token);
    if (resp.kind !== "resp") throw invalid("the server answered with a NegTokenInit, not a NegTokenResp");
    const negotiation = this.phase.negotiation;
    let mech = this.phase.mech;
    if (resp.negState === NEG_STATE.REJECT) return yield* this.rejected(mech, resp, call);
    if (!negotiation.answered) {
      negotiation.answered = true;
      const chosen = chosenPackage(resp, negotiation);
      if (chosen !== packageOf(negotiation.mechTypes[0]!)) negotiation.micRequired = true;
      // the server took a later mechanism, or dropped the optimistic token: (re)start the chosen one
      const dropped =
        chosen === mech.name &&
        resp.responseToken === undefined &&
        resp.negState !== NEG_STATE.ACCEPT_COMPLETED;
      if (chosen !== mech.name || dropped) {
        if (resp.responseToken) throw invalid(`a ${chosen} token before ${chosen} was started`);
        this.abandon(mech);
        mech = this.newMech(this.subOf(chosen));
        this.phase = { kind: "spnego", mech, negotiation };
        const first = yield* this.callMech(mech, undefined, call);
        return this.result(
          SEC_I_CONTINUE_NEEDED,
          encodeNegTokenResp({ ...(first.token && { responseToken: first.token }) }),
        );
      }
    } else if (resp.supportedMech !== undefined && packageOf(resp.supportedMech) !== mech.name)
      throw invalid("the server changed the chosen mechanism");
    if (resp.negState === NEG_STATE.REQUEST_MIC) negotiation.micRequired = true;

    let output: Uint8Array | undefined;
    if (resp.responseToken !== undefined) {
      if (mech.complete) throw invalid(`a ${mech.name} token after ${mech.name} completed`);
      output = (yield* this.callMech(mech, resp.responseToken, call)).token;
    } else if (!mech.complete) throw invalid(`the server sent no ${mech.name} token`);

    // Old servers echo the responseToken as mechListMIC; MIT and pyspnego ignore that echo.
    const echo =
      resp.mechListMIC !== undefined &&
      resp.responseToken !== undefined &&
      Buffer.from(resp.mechListMIC).equals(resp.responseToken);
    if (resp.mechListMIC !== undefined && !echo) {
      verifyMechListMic(this.mechContext(mech), negotiation.mechTypesDer, resp.mechListMIC);
      negotiation.micVerified = true;
    }
    let mic: Uint8Array | null = null;
    if (
      !negotiation.micSent &&
      (negotiation.micRequired || negotiation.micVerified || mech.name === NTLM_PACKAGE)
    ) {
      mic = makeMechListMic(this.mechContext(mech), negotiation.mechTypesDer);
      negotiation.micSent = mic !== null;
    }
    const serverDone = resp.negState === NEG_STATE.ACCEPT_COMPLETED;
    if (serverDone && !mech.complete) throw invalid(`the server completed before ${mech.name} did`);
    if (serverDone && negotiation.micRequired && negotiation.micSent && !negotiation.micVerified)
      throw new NegotiateError(
        SEC_E_DOWNGRADE_DETECTED,
        "the server completed without the mechListMIC the negotiation requires",
      );
    const done = mech.complete && (negotiation.micVerified || serverDone);
    const answer =
      output !== undefined || mic !== null
        ? encodeNegTokenResp({ ...(output && { responseToken: output }), ...(mic && { mechListMIC: mic }) })
        : undefined;
    if (done) this.phase = { kind: "complete", mech, raw: false };
    return this.result(done ? SEC_E_OK : SEC_I_CONTINUE_NEEDED, answer);
  }

  /** The first ISC: the optimistic token of the first package that can start, and the list. */
  private *start(call: ProcessCall): HostTask<ContextResult> {
    const subs = this.credential.subs;
    const failures: string[] = [];
    let status: SECURITY_STATUS = SEC_E_NO_CREDENTIALS;
    for (let i = 0; i < subs.length; i++) {
      const mech = this.newMech(subs[i]!);
      const first = yield* this.tryMech(mech, undefined, call);
      if (first.status !== SEC_E_OK && first.status !== SEC_I_CONTINUE_NEEDED) {
        // fall back to the next package before anything was sent
        if (failures.length === 0) status = first.status;
        failures.push(`${mech.name}: ${first.reason ?? "failed"}`);
        this.abandon(mech);
        continue;
      }
      const mechTypes = subs.slice(i).flatMap((s) => oidsOf(s.name));
      const negotiation: Negotiation = {
        mechTypes,
        mechTypesDer: encodeMechTypes(mechTypes),
        micRequired: false,
        micSent: false,
        micVerified: false,
        answered: false,
      };
      this.phase = { kind: "spnego", mech, negotiation };
      return this.result(
        SEC_I_CONTINUE_NEEDED,
        encodeNegTokenInit({ mechTypes, ...(first.token && { mechToken: first.token }) }),
      );
    }
    const all = [...failures, ...this.credential.leftOut.map((r) => `${r} (credential)`)];
    throw new NegotiateError(status, `no package could start: ${all.join("; ")}`);
  }

  /** negState reject: the mechanism's own error when its token says more, else logon denied. */
  private *rejected(mech: Mech, resp: NegTokenResp, call: ProcessCall): HostTask<ContextResult> {
    if (resp.responseToken !== undefined && !mech.complete) {
      const r = yield* this.tryMech(mech, resp.responseToken, call);
      if (r.status !== SEC_E_OK && r.status !== SEC_I_CONTINUE_NEEDED)
        throw new NegotiateError(r.status, `the server rejected the negotiation: ${r.reason ?? mech.name}`);
    }
    throw new NegotiateError(SEC_E_LOGON_DENIED, `the server rejected the negotiation (${mech.name})`);
  }

  // ---- acceptor -----------------------------------------------------------------------------

  private *accept(token: Uint8Array | undefined, call: ProcessCall): HostTask<ContextResult> {
    if (token === undefined || token.length === 0)
      throw invalid("AcceptSecurityContext needs the client's token in a SECBUFFER_TOKEN");
    if (this.phase.kind === "start") {
      const raw = rawMechanismOf(token);
      if (raw !== undefined) {
        const sub = this.credential.subs.find((s) => s.name === raw);
        if (sub === undefined)
          throw new NegotiateError(
            SEC_E_NO_CREDENTIALS,
            `a bare ${raw} token, and this Negotiate credential has no ${raw} credential`,
          );
        this.phase = { kind: "raw", mech: this.newMech(sub) };
      }
    }
    if (this.phase.kind === "raw") return yield* this.acceptRaw(this.phase.mech, token, call);
    const negToken = decodeNegotiationToken(token);
    if (this.phase.kind === "start") {
      if (negToken.kind !== "init") throw invalid("the client's first token is not a NegTokenInit");
      const choice = this.choose(negToken.mechTypes);
      if (choice === undefined)
        return this.fail(
          SEC_E_LOGON_DENIED,
          `no mechanism in common: the client offered ${negToken.mechTypes.join(", ")}; this server has credentials for ${this.credential.subs.map((s) => s.name).join(", ")}`,
          encodeNegTokenResp({ negState: NEG_STATE.REJECT }),
        );
      const mech = this.newMech(choice.sub);
      const preferred = choice.index === 0;
      const negotiation: Negotiation = {
        mechTypes: negToken.mechTypes,
        mechTypesDer: negToken.mechTypesDer,
        micRequired: !preferred,
        micSent: false,
        micVerified: false,
        answered: false,
      };
      this.phase = { kind: "spnego", mech, negotiation };
      const supportedMech = negToken.mechTypes[choice.index]!;
      // the optimistic token is for the client's first mechanism only
      const mechToken = preferred ? negToken.mechToken : undefined;
      return yield* this.acceptLeg(mech, negotiation, mechToken, negToken.mechListMIC, supportedMech, call);
    }
    if (this.phase.kind !== "spnego") throw new NegotiateError(SEC_E_OUT_OF_SEQUENCE, "not negotiating");
    if (negToken.kind !== "resp") throw invalid("a NegTokenInit in the middle of the negotiation");
    if (negToken.negState === NEG_STATE.REJECT)
      throw new NegotiateError(SEC_E_LOGON_DENIED, "the client abandoned the negotiation");
    return yield* this.acceptLeg(
      this.phase.mech,
      this.phase.negotiation,
      negToken.responseToken,
      negToken.mechListMIC,
      undefined,
      call,
    );
  }

  /** One acceptor leg: the mechanism token in, the MICs, and the answer. */
  private *acceptLeg(
    mech: Mech,
    negotiation: Negotiation,
    mechToken: Uint8Array | undefined,
    micIn: Uint8Array | undefined,
    supportedMech: string | undefined,
    call: ProcessCall,
  ): HostTask<ContextResult> {
    const first = !negotiation.answered;
    negotiation.answered = true;
    let output: Uint8Array | undefined;
    if (mechToken !== undefined) {
      if (mech.complete) throw invalid(`a ${mech.name} token after ${mech.name} completed`);
      const r = yield* this.tryMech(mech, mechToken, call);
      if (r.status !== SEC_E_OK && r.status !== SEC_I_CONTINUE_NEEDED)
        return this.fail(
          r.status,
          r.reason ?? `${mech.name} refused the client`,
          encodeNegTokenResp({ negState: NEG_STATE.REJECT, ...(r.token && { responseToken: r.token }) }),
        );
      output = r.token;
    } else if (!first && !mech.complete) throw invalid(`the client sent no ${mech.name} token`);

    if (micIn !== undefined && mech.complete) {
      verifyMechListMic(this.mechContext(mech), negotiation.mechTypesDer, micIn);
      negotiation.micVerified = true;
    } else if (micIn !== undefined && !first) throw invalid(`a mechListMIC before ${mech.name} completed`);
    let mic: Uint8Array | null = null;
    let micImpossible = false;
    if (mech.complete && !negotiation.micSent && (negotiation.micRequired || negotiation.micVerified)) {
      mic = makeMechListMic(this.mechContext(mech), negotiation.mechTypesDer);
      negotiation.micSent = mic !== null;
      micImpossible = mic === null;
    }
    const done = mech.complete && (negotiation.micVerified || !negotiation.micRequired || micImpossible);
    const negState = done
      ? NEG_STATE.ACCEPT_COMPLETED
      : first && negotiation.micRequired
        ? NEG_STATE.REQUEST_MIC
        : NEG_STATE.ACCEPT_INCOMPLETE;
    const answer = encodeNegTokenResp({
      negState,
      ...(first && supportedMech !== undefined && { supportedMech }),
      ...(output && { responseToken: output }),
      ...(mic && { mechListMIC: mic }),
    });
    if (done) this.phase = { kind: "complete", mech, raw: false };
    return this.result(done ? SEC_E_OK : SEC_I_CONTINUE_NEEDED, answer);
  }

  /** A bare NTLM or Kerberos exchange: the package's own tokens, answered as they are. */
  private *acceptRaw(mech: Mech, token: Uint8Array, call: ProcessCall): HostTask<ContextResult> {
    const r = yield* this.tryMech(mech, token, call);
    if (r.status === SEC_E_OK) this.phase = { kind: "complete", mech, raw: true };
    else if (r.status !== SEC_I_CONTINUE_NEEDED) this.phase = { kind: "failed", mech };
    return this.result(r.status, r.token, r.reason);
  }

  /** The first mechanism of the client's list this acceptor has a credential for. */
  private choose(mechTypes: readonly string[]): { sub: SubCredential; index: number } | undefined {
    for (let index = 0; index < mechTypes.length; index++) {
      const name = packageOf(mechTypes[index]!);
      const sub = this.credential.subs.find((s) => s.name === name);
      if (sub !== undefined) return { sub, index };
    }
    return undefined;
  }

  // ---- the chosen package -------------------------------------------------------------------

  private newMech(sub: SubCredential): Mech {
    return { name: sub.name, pkg: sub.pkg, credential: sub.credential, context: null, complete: false };
  }

  private subOf(name: NegotiablePackage): SubCredential {
    const sub = this.credential.subs.find((s) => s.name === name);
    if (sub === undefined) throw invalid(`the server chose ${name}, which was not offered`);
    return sub;
  }

  private mechContext(mech: Mech): { name: string; pkg: SecurityPackage; context: PackageObject } {
    return { name: mech.name, pkg: mech.pkg, context: mech.context! };
  }

  private abandon(mech: Mech): void {
    if (mech.context !== null) this.abandoned.push(mech);
  }

  /** One call of the package's ISC/ASC; its failure ends the negotiation. */
  private *callMech(
    mech: Mech,
    token: Uint8Array | undefined,
    call: ProcessCall,
  ): HostTask<{ token: Uint8Array | undefined }> {
    const r = yield* this.tryMech(mech, token, call);
    if (r.status !== SEC_E_OK && r.status !== SEC_I_CONTINUE_NEEDED)
      throw new NegotiateError(r.status, r.reason ?? `${mech.name} failed`);
    return { token: r.token };
  }

  /** One call of the package's ISC/ASC, its outcome as it is. */
  private *tryMech(
    mech: Mech,
    token: Uint8Array | undefined,
    call: ProcessCall,
  ): HostTask<Outcome & { token: Uint8Array | undefined }> {
    const initiator = this.role === "initiator";
    const request: ContextRequest = {
      role: this.role,
      credential: mech.credential,
      context: mech.context,
      targetName: initiator ? this.targetName : null,
      // SPNEGO needs the mechanism's integrity for the mechListMIC
      contextReq: (this.request.contextReq | (initiator ? ISC_REQ_INTEGRITY : ASC_REQ_INTEGRITY)) >>> 0,
      contextReqHigh: this.request.contextReqHigh,
      targetDataRep: this.request.targetDataRep,
      input: [
        ...(token !== undefined ? [{ type: SECBUFFER_TOKEN, readOnly: false, data: token }] : []),
        ...this.passThrough,
      ],
      outputTypes: [SECBUFFER_TOKEN],
    };
    const r = yield* reply(call(mech.pkg, request));
    if (r.context !== undefined) mech.context = r.context;
    if (r.status === SEC_E_OK) mech.complete = true;
    this.contextAttr = r.contextAttr;
    this.expiry = r.expiry;
    const out = r.outputs.find((o) => bufferKind(o.type) === SECBUFFER_TOKEN)?.data;
    return {
      status: r.status,
      ...(r.reason !== undefined && { reason: r.reason }),
      token: out !== undefined && out.length > 0 ? out : undefined,
    };
  }

  // ---- results ------------------------------------------------------------------------------

  private fail(status: SECURITY_STATUS, reason: string, output: Uint8Array): ContextResult {
    this.phase = { kind: "failed", mech: this.mech };
    return this.result(status, output, reason);
  }

  private result(status: SECURITY_STATUS, output: Uint8Array | undefined, reason?: string): ContextResult {
    return {
      status,
      ...(reason !== undefined && { reason }),
      context: this,
      outputs: output !== undefined ? [{ type: SECBUFFER_TOKEN, data: output }] : [],
      extra: 0,
      missing: 0,
      contextAttr: this.contextAttr,
      expiry: this.expiry,
    };
  }
}

/** The package the acceptor's first NegTokenResp chose, checked against what was offered. */
function chosenPackage(resp: NegTokenResp, negotiation: Negotiation): NegotiablePackage {
  const oid = resp.supportedMech;
  if (oid === undefined) throw invalid("the server's first NegTokenResp names no supportedMech");
  const name = packageOf(oid);
  if (name === undefined || !negotiation.mechTypes.includes(oid))
    throw invalid(`the server chose mechanism ${oid}, which was not offered`);
  return name;
}

function invalid(reason: string): NegotiateError {
  return new NegotiateError(SEC_E_INVALID_TOKEN, reason);
}
