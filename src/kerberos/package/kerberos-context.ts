/**
 * One Kerberos security context behind the SSPI surface.
 *
 * ```
 * ISC 1 (no token)   → TGS for the target (and AS first, for a password or keytab credential),
 *                      AP-REQ: SEC_I_CONTINUE_NEEDED with ISC_REQ_MUTUAL_AUTH, else SEC_E_OK
 * ASC 1 (AP-REQ)     → ticket, authenticator, time, replay and channel bindings verified:
 *                      SEC_E_OK, with the AP-REP token when the client asked for mutual auth
 * ISC 2 (AP-REP)     → the acceptor proved itself: SEC_E_OK, no token
 * ```
 *
 * The initiator's first step waits on the KDC: it is a host task whose KDC round trips are
 * promises on the asynchronous calls and values on the blocking ones (a worker does the I/O).
 * Failures are statuses with the reason (the KDC's error named), never exceptions.
 *
 * @module
 */
import { bufferKind, SECBUFFER_CHANNEL_BINDINGS, SECBUFFER_TOKEN } from "../../sspi/buffer-types.js";
import {
  ASC_REQ_ALLOW_MISSING_BINDINGS,
  ASC_REQ_EXTENDED_ERROR,
  ASC_RET_CONFIDENTIALITY,
  ASC_RET_CONNECTION,
  ASC_RET_EXTENDED_ERROR,
  ASC_RET_INTEGRITY,
  ASC_RET_MUTUAL_AUTH,
  ASC_RET_REPLAY_DETECT,
  ASC_RET_SEQUENCE_DETECT,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_MUTUAL_AUTH,
  ISC_REQ_REPLAY_DETECT,
  ISC_REQ_SEQUENCE_DETECT,
  ISC_RET_CONFIDENTIALITY,
  ISC_RET_CONNECTION,
  ISC_RET_INTEGRITY,
  ISC_RET_MUTUAL_AUTH,
  ISC_RET_REPLAY_DETECT,
  ISC_RET_SEQUENCE_DETECT,
} from "../../sspi/context-flags.js";
import type { HostTask } from "../../sspi/host-task.js";
import type { ContextRequest, ContextResult } from "../../sspi/security-package.js";
import {
  SEC_E_INVALID_TOKEN,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import { timeStampFromDate } from "../../sspi/timestamp.js";
import type { TimeStamp } from "../../sspi/types.js";
import { acceptApExchange } from "../ap/acceptor.js";
import { completeApExchange, type InitiatorState, initiateApExchange } from "../ap/initiator.js";
import type { AuthorizationDataEntry } from "../asn1/basic-types.js";
import { encodeKrbError } from "../asn1/krb-error.js";
import type { KdcSend } from "../client/kdc-transport.js";
import { KerberosError } from "../errors.js";
import { GSS_FLAGS } from "../gss/authenticator-checksum.js";
import { type ChannelBindings, fromSecChannelBindings } from "../gss/channel-bindings.js";
import { TOK_ID, wrapGssToken } from "../gss/initial-context-token.js";
import type { PerMessageContext } from "../gss/per-message-context.js";
import { SequenceWindow } from "../gss/sequence-window.js";
import { formatPrincipal } from "../principal.js";
import { statusForKerberosError } from "../status-mapping.js";
import type { KerberosAcceptorCredential } from "./acceptor-credential.js";
import type { KerberosClientCredential } from "./client-credential.js";
import { servicePrincipal } from "./target-name.js";

/** What an established context knows, for messages and attributes. */
export interface Established {
  /** The client, `user@REALM`. */
  readonly clientName: string;
  /** The service, `service/host@REALM`. */
  readonly serverName: string;
  readonly perMessage: PerMessageContext;
  /** Next sequence number we send. */
  sendSeq: bigint;
  readonly receive: SequenceWindow;
  /** Refuse out-of-order tokens (sequence detection negotiated), not only replays. */
  readonly sequenceDetect: boolean;
  /** Ticket start and end. */
  readonly start: TimeStamp;
  readonly expiry: TimeStamp;
  /** The ticket's authorization data (acceptor; the PAC is not validated). */
  readonly authorizationData: readonly AuthorizationDataEntry[];
  readonly channelBound: boolean;
}

export abstract class KerberosContext {
  abstract readonly role: "initiator" | "acceptor";
  /** `ISC_RET_*` / `ASC_RET_*` of the last step. */
  contextAttr = 0;
  established: Established | null = null;
  protected bindings: ChannelBindings | undefined;

  constructor(readonly contextReq: number) {}

  /** One ISC/ASC step. Never throws: failures are statuses with the reason. */
  *step(request: ContextRequest, send: KdcSend): HostTask<ContextResult> {
    try {
      const bindings = request.input.find((b) => b.type === SECBUFFER_CHANNEL_BINDINGS);
      if (bindings) this.bindings = fromSecChannelBindings(bindings.data);
      const token = request.input.find((b) => bufferKind(b.type) === SECBUFFER_TOKEN)?.data;
      return yield* this.advance(request, token, send);
    } catch (e) {
      const mapped = statusForKerberosError(e);
      return this.result(mapped.status, null, mapped.reason);
    }
  }

  /** Zeroes the key: the context is gone. */
  delete(): void {
    this.established?.perMessage.key.value.fill(0);
  }

  protected abstract advance(
    request: ContextRequest,
    token: Uint8Array | undefined,
    send: KdcSend,
  ): HostTask<ContextResult>;

  result(status: SECURITY_STATUS, output: Uint8Array | null, reason?: string): ContextResult {
    return {
      status,
      ...(reason !== undefined && { reason }),
      context: this,
      outputs: output ? [{ type: SECBUFFER_TOKEN, data: output }] : [],
      extra: 0,
      missing: 0,
      contextAttr: this.contextAttr,
      expiry: this.established?.expiry ?? 0n,
    };
  }
}

/** RFC 4120 §7.5.9: KRB_AP_ERR_BAD_INTEGRITY (the ticket or authenticator does not decrypt). */
const KRB_AP_ERR_BAD_INTEGRITY = 31;
/** RFC 4120 §7.5.9: KRB_ERR_GENERIC. */
const KRB_ERR_GENERIC = 60;

/** The GSS checksum flags an initiator sends for `fContextReq` (integrity always; no delegation). */
function gssFlags(req: number): number {
  let flags = GSS_FLAGS.INTEG;
  if (req & ISC_REQ_MUTUAL_AUTH) flags |= GSS_FLAGS.MUTUAL;
  if (req & ISC_REQ_REPLAY_DETECT) flags |= GSS_FLAGS.REPLAY;
  if (req & ISC_REQ_SEQUENCE_DETECT) flags |= GSS_FLAGS.SEQUENCE;
  if (req & ISC_REQ_CONFIDENTIALITY) flags |= GSS_FLAGS.CONF;
  return flags;
}

function initiatorAttributes(flags: number): number {
  let attrs = ISC_RET_CONNECTION | ISC_RET_INTEGRITY;
  if (flags & GSS_FLAGS.MUTUAL) attrs |= ISC_RET_MUTUAL_AUTH;
  if (flags & GSS_FLAGS.REPLAY) attrs |= ISC_RET_REPLAY_DETECT;
  if (flags & GSS_FLAGS.SEQUENCE) attrs |= ISC_RET_SEQUENCE_DETECT;
  if (flags & GSS_FLAGS.CONF) attrs |= ISC_RET_CONFIDENTIALITY;
  return attrs >>> 0;
}

function acceptorAttributes(flags: number, mutual: boolean): number {
  let attrs = ASC_RET_CONNECTION;
  if (mutual) attrs |= ASC_RET_MUTUAL_AUTH;
  if (flags & GSS_FLAGS.INTEG) attrs |= ASC_RET_INTEGRITY;
  if (flags & GSS_FLAGS.REPLAY) attrs |= ASC_RET_REPLAY_DETECT;
  if (flags & GSS_FLAGS.SEQUENCE) attrs |= ASC_RET_SEQUENCE_DETECT;
  if (flags & GSS_FLAGS.CONF) attrs |= ASC_RET_CONFIDENTIALITY;
  return attrs >>> 0;
}

/** The initiator's phases. */
type InitiatorPhase =
  | { readonly kind: "start" }
  | {
      readonly kind: "expect-ap-rep";
      readonly state: InitiatorState;
      readonly clientName: string;
      readonly serverName: string;
      readonly start: TimeStamp;
      readonly expiry: TimeStamp;
    }
  | { readonly kind: "established" };

export class KerberosInitiator extends KerberosContext {
  readonly role = "initiator";
  private phase: InitiatorPhase = { kind: "start" };
  private readonly flags: number;

  constructor(
    private readonly credential: KerberosClientCredential,
    private readonly targetName: string | null,
    contextReq: number,
  ) {
    super(contextReq);
    this.flags = gssFlags(contextReq);
    this.contextAttr = initiatorAttributes(this.flags);
  }

  protected *advance(
    _request: ContextRequest,
    token: Uint8Array | undefined,
    send: KdcSend,
  ): HostTask<ContextResult> {
    const phase = this.phase;
    if (phase.kind === "start") {
      if (token !== undefined && token.length > 0)
        return this.result(
          SEC_E_INVALID_TOKEN,
          null,
          "the first InitializeSecurityContext takes no input token",
        );
      const c = this.credential;
      const server = servicePrincipal(this.targetName, c.client.realm, c.settings.realmOfHost);
      const ticket = yield* c.serviceTicket(server, send);
      const state = initiateApExchange({
        credential: ticket,
        flags: this.flags,
        channelBindings: this.bindings,
      });
      const names = {
        clientName: formatPrincipal(ticket.client),
        serverName: formatPrincipal(ticket.server),
        start: timeStampFromDate(ticket.startTime),
        expiry: timeStampFromDate(ticket.endTime),
      };
      if (state.mutual) {
        this.phase = { kind: "expect-ap-rep", state, ...names };
        return this.result(SEC_I_CONTINUE_NEEDED, state.token);
      }
      this.establish(names, {
        key: state.subkey,
        acceptorSubkey: false,
        sendSeq: state.sendSeq,
        receiveSeq: state.sendSeq,
      });
      return this.result(SEC_E_OK, state.token);
    }
    if (phase.kind === "expect-ap-rep") {
      if (token === undefined || token.length === 0)
        return this.result(
          SEC_E_INVALID_TOKEN,
          null,
          "InitializeSecurityContext needs the AP-REP in a SECBUFFER_TOKEN",
        );
      const done = mutualAuthentication(() => completeApExchange(phase.state, token));
      this.establish(phase, done);
      return this.result(SEC_E_OK, null);
    }
    return this.result(SEC_E_INVALID_TOKEN, null, "the Kerberos context is already established");
  }

  private establish(
    names: { clientName: string; serverName: string; start: TimeStamp; expiry: TimeStamp },
    keys: { key: PerMessageContext["key"]; acceptorSubkey: boolean; sendSeq: number; receiveSeq: number },
  ): void {
    this.phase = { kind: "established" };
    this.established = {
      clientName: names.clientName,
      serverName: names.serverName,
      perMessage: { key: keys.key, isAcceptor: false, acceptorSubkey: keys.acceptorSubkey },
      sendSeq: BigInt(keys.sendSeq),
      receive: new SequenceWindow(BigInt(keys.receiveSeq)),
      sequenceDetect: (this.flags & GSS_FLAGS.SEQUENCE) !== 0,
      start: names.start,
      expiry: names.expiry,
      authorizationData: [],
      channelBound: this.bindings !== undefined,
    };
  }
}

/**
 * Runs the AP-REP check: an AP-REP that does not decrypt or verify under the session key did not
 * come from the service, so mutual authentication failed (KRB_AP_ERR_MUT_FAIL, 46).
 */
function mutualAuthentication<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof KerberosError && e.code === "ERR_KRB_INTEGRITY" && e.krbCode === undefined)
      throw new KerberosError("ERR_KRB_INTEGRITY", `the AP-REP does not prove the service (${e.message})`, {
        krbCode: 46,
        cause: e,
      });
    throw e;
  }
}

export class KerberosAcceptor extends KerberosContext {
  readonly role = "acceptor";

  constructor(
    private readonly credential: KerberosAcceptorCredential,
    contextReq: number,
  ) {
    super(contextReq);
    this.contextAttr = ASC_RET_CONNECTION;
  }

  // biome-ignore lint/correctness/useYield: the acceptor never waits
  protected *advance(_request: ContextRequest, token: Uint8Array | undefined): HostTask<ContextResult> {
    try {
      return this.accept(token);
    } catch (e) {
      if ((this.contextReq & ASC_REQ_EXTENDED_ERROR) === 0 || token === undefined || token.length === 0)
        throw e;
      const mapped = statusForKerberosError(e);
      this.contextAttr = (this.contextAttr | ASC_RET_EXTENDED_ERROR) >>> 0;
      return this.result(mapped.status, this.errorToken(e), mapped.reason);
    }
  }

  /**
   * With `ASC_REQ_EXTENDED_ERROR`, a failed AP-REQ is answered with a GSS KRB-ERROR token (as
   * Windows does), so the initiator learns why (MIT reports "Clock skew too great" and the like).
   */
  private errorToken(error: unknown): Uint8Array {
    const code =
      error instanceof KerberosError
        ? (error.krbCode ?? (error.code === "ERR_KRB_INTEGRITY" ? KRB_AP_ERR_BAD_INTEGRITY : KRB_ERR_GENERIC))
        : KRB_ERR_GENERIC;
    const service = this.credential.keytab[0]!.principal;
    const now = Date.now();
    return wrapGssToken(
      TOK_ID.KRB_ERROR,
      encodeKrbError({
        stime: new Date(Math.floor(now / 1000) * 1000),
        susec: (now % 1000) * 1000,
        errorCode: code,
        realm: service.realm,
        sname: service.name,
      }),
    );
  }

  private accept(token: Uint8Array | undefined): ContextResult {
    if (this.established)
      return this.result(SEC_E_INVALID_TOKEN, null, "the Kerberos context is already established");
    if (token === undefined || token.length === 0)
      return this.result(
        SEC_E_INVALID_TOKEN,
        null,
        "AcceptSecurityContext needs the AP-REQ in a SECBUFFER_TOKEN",
      );
    const c = this.credential;
    const policy = c.channelBindingPolicy;
    const requireBindings = policy === "required" && (this.contextReq & ASC_REQ_ALLOW_MISSING_BINDINGS) === 0;
    if (requireBindings && !this.bindings)
      throw new KerberosError(
        "ERR_KRB_BAD_BINDINGS",
        "channel bindings are required but AcceptSecurityContext got no SECBUFFER_CHANNEL_BINDINGS",
      );
    const accepted = acceptApExchange(token, {
      keytab: c.keytab,
      channelBindings: policy === "never" ? undefined : this.bindings,
      requireBindings,
      replayCache: c.replayCache,
      clockSkewSeconds: c.clockSkewSeconds,
    });
    const flags = accepted.gssChecksum.flags;
    this.contextAttr = acceptorAttributes(flags, accepted.mutualRequired);
    const t = accepted.ticket;
    this.established = {
      clientName: formatPrincipal(accepted.client),
      serverName: formatPrincipal(accepted.server),
      perMessage: { key: accepted.key, isAcceptor: true, acceptorSubkey: accepted.acceptorSubkey },
      sendSeq: BigInt(accepted.sendSeq),
      receive: new SequenceWindow(BigInt(accepted.receiveSeq)),
      sequenceDetect: (flags & GSS_FLAGS.SEQUENCE) !== 0,
      start: timeStampFromDate(t.startTime ?? t.authTime),
      expiry: timeStampFromDate(t.endTime),
      authorizationData: t.authorizationData ?? [],
      channelBound: accepted.bindings === "matched",
    };
    return this.result(SEC_E_OK, accepted.replyToken ?? null);
  }
}
