/**
 * One NTLM security context behind the SSPI surface: the initiator (ISC) drives an
 * {@link NtlmClient}, the acceptor (ASC) an {@link NtlmServerContext}.
 *
 * ```
 * ISC 1 (no token)        → SEC_I_CONTINUE_NEEDED + NEGOTIATE
 * ASC 1 (NEGOTIATE)       → SEC_I_CONTINUE_NEEDED + CHALLENGE
 * ISC 2 (CHALLENGE)       → SEC_E_OK + AUTHENTICATE
 * ASC 2 (AUTHENTICATE)    → SEC_E_OK, no token
 * ```
 *
 * A step is pure computation on the caller's thread. The acceptor's second step asks the user
 * store, which may answer with a Promise: the step is a host task, awaited by the asynchronous
 * calls, and the blocking AcceptSecurityContext uses the store's synchronous answer (a store
 * answering with a Promise there is `SEC_E_UNSUPPORTED_FUNCTION`).
 *
 * Channel bindings (`SECBUFFER_CHANNEL_BINDINGS`, a `SEC_CHANNEL_BINDINGS`) may come with any
 * call; the last ones given are used when the AUTHENTICATE message is made or verified.
 *
 * @module
 */
import { bufferKind, SECBUFFER_CHANNEL_BINDINGS, SECBUFFER_TOKEN } from "../../sspi/buffer-types.js";
import { type HostTask, type Reply, reply } from "../../sspi/host-task.js";
import type { ContextRequest, ContextResult } from "../../sspi/security-package.js";
import {
  SEC_E_INTERNAL_ERROR,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_I_CONTINUE_NEEDED,
  type SECURITY_STATUS,
} from "../../sspi/status.js";
import { TIMESTAMP_NEVER, timeStampFromDate } from "../../sspi/timestamp.js";
import type { TimeStamp } from "../../sspi/types.js";
import { NtlmClient } from "../client.js";
import type { NtlmClientCredentials } from "../credentials.js";
import { type ChannelBindings, fromSecChannelBindings } from "../crypto/channel-bindings.js";
import { NtlmError } from "../ntlm-error.js";
import { type NtlmAuthenticatedUser, type NtlmServer, NtlmServerContext } from "../server.js";
import type { NtlmSessionSecurity } from "../session-security.js";
import {
  acceptorAttributes,
  allowsMissingBindings,
  initiatorAttributes,
  initiatorRequest,
  unsupportedRequest,
} from "./request-flags.js";

/** An NTLM credential: a client identity (outbound) or a server (inbound). */
export type NtlmCredential =
  | { readonly role: "client"; readonly identity: NtlmClientCredentials }
  | { readonly role: "server"; readonly server: NtlmServer };

/** What an established context knows, for messages and attributes. */
export interface Established {
  /** `DOMAIN\user` of the client. */
  readonly clientName: string;
  /** The service: the SPN the client named, else the server's name. */
  readonly serverName: string;
  /** The client's MsvAvTargetName (acceptor only). */
  readonly clientTarget: string | undefined;
  readonly exportedSessionKey: Uint8Array;
  readonly session: NtlmSessionSecurity | undefined;
  readonly channelBound: boolean;
  readonly start: TimeStamp;
}

/** How the acceptor's second step gets the user verified: awaiting the store, or synchronously. */
export type Verify = (
  context: NtlmServerContext,
  authenticate: Uint8Array,
  bindings: ChannelBindings | undefined,
) => Reply<NtlmAuthenticatedUser>;

/** Verification for the asynchronous calls. */
export const verifyAsync: Verify = (context, token, bindings) => context.authenticate(token, bindings);
/** Verification for the blocking AcceptSecurityContext. */
export const verifyBlocking: Verify = (context, token, bindings) => context.authenticateSync(token, bindings);

export abstract class NtlmContext {
  abstract readonly role: "initiator" | "acceptor";
  /** `ISC_RET_*` / `ASC_RET_*` of the last step. */
  contextAttr = 0;
  established: Established | null = null;
  deleted = false;
  protected bindings: ChannelBindings | undefined;

  constructor(readonly contextReq: number) {}

  /** One ISC/ASC step. Never throws: failures are statuses with safe reasons. */
  *step(request: ContextRequest, verify: Verify): HostTask<ContextResult> {
    try {
      const refused = unsupportedRequest(this.role, this.contextReq);
      if (refused) return this.result(SEC_E_UNSUPPORTED_FUNCTION, null, refused);
      const bindings = request.input.find((b) => b.type === SECBUFFER_CHANNEL_BINDINGS);
      if (bindings) this.bindings = fromSecChannelBindings(bindings.data);
      const token = request.input.find((b) => bufferKind(b.type) === SECBUFFER_TOKEN)?.data;
      return yield* this.advance(token, verify);
    } catch (e) {
      if (e instanceof NtlmError) return this.result(e.status, null, e.reason);
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : "unknown failure";
      return this.result(SEC_E_INTERNAL_ERROR, null, `internal error (${reason})`);
    }
  }

  /** Zeroes the session key: the context is gone. */
  delete(): void {
    this.deleted = true;
    this.established?.exportedSessionKey.fill(0);
  }

  protected abstract advance(token: Uint8Array | undefined, verify: Verify): HostTask<ContextResult>;

  protected result(status: SECURITY_STATUS, output: Uint8Array | null, reason?: string): ContextResult {
    return {
      status,
      ...(reason !== undefined && { reason }),
      context: this,
      outputs: output ? [{ type: SECBUFFER_TOKEN, data: output }] : [],
      extra: 0,
      missing: 0,
      contextAttr: this.contextAttr,
      expiry: TIMESTAMP_NEVER,
    };
  }
}

const now = (): TimeStamp => timeStampFromDate(new Date());

export class NtlmInitiator extends NtlmContext {
  readonly role = "initiator";
  private readonly client: NtlmClient;

  constructor(
    private readonly identity: NtlmClientCredentials,
    private readonly targetName: string | null,
    contextReq: number,
  ) {
    super(contextReq);
    const wanted = initiatorRequest(contextReq);
    this.client = new NtlmClient({
      credentials: identity,
      ...(targetName ? { targetName } : {}),
      integrity: wanted.integrity,
      confidentiality: wanted.confidentiality,
    });
    this.contextAttr = initiatorAttributes(contextReq, wanted);
  }

  // biome-ignore lint/correctness/useYield: the initiator never waits
  protected *advance(token: Uint8Array | undefined): HostTask<ContextResult> {
    if (this.client.phase === "start") {
      if (token !== undefined && token.length > 0)
        throw new NtlmError("invalid-token", "the first InitializeSecurityContext takes no input token");
      return this.result(SEC_I_CONTINUE_NEEDED, this.client.negotiate());
    }
    if (this.client.phase === "expect-challenge" && (token === undefined || token.length === 0))
      throw new NtlmError(
        "invalid-token",
        "InitializeSecurityContext needs the CHALLENGE in a SECBUFFER_TOKEN",
      );
    const authenticate = this.client.authenticate(token ?? new Uint8Array(0), this.bindings);
    const result = this.client.result!;
    const session = result.session;
    this.contextAttr = initiatorAttributes(this.contextReq, {
      integrity: session?.integrity ?? false,
      confidentiality: session?.confidentiality ?? false,
    });
    const { User, Domain } = this.identity;
    this.established = {
      clientName: Domain ? `${Domain}\\${User}` : User,
      serverName: this.targetName || result.serverTargetName,
      clientTarget: undefined,
      exportedSessionKey: result.exportedSessionKey,
      session,
      channelBound: this.bindings !== undefined,
      start: now(),
    };
    return this.result(SEC_E_OK, authenticate);
  }
}

export class NtlmAcceptor extends NtlmContext {
  readonly role = "acceptor";
  private readonly context: NtlmServerContext;

  constructor(
    private readonly server: NtlmServer,
    contextReq: number,
  ) {
    super(contextReq);
    const relaxed = server.policy === "required" && allowsMissingBindings(contextReq);
    this.context = new NtlmServerContext(server, relaxed ? { channelBindingPolicy: "when-supported" } : {});
    this.contextAttr = acceptorAttributes({ integrity: false, confidentiality: false });
  }

  protected *advance(token: Uint8Array | undefined, verify: Verify): HostTask<ContextResult> {
    if (token === undefined || token.length === 0)
      throw new NtlmError(
        "invalid-token",
        "AcceptSecurityContext needs the client's token in a SECBUFFER_TOKEN",
      );
    if (this.context.phase === "expect-negotiate")
      return this.result(SEC_I_CONTINUE_NEEDED, this.context.challenge(token));
    const user = yield* reply(verify(this.context, token, this.bindings));
    const session = user.session;
    this.contextAttr = acceptorAttributes({
      integrity: session?.integrity ?? false,
      confidentiality: session?.confidentiality ?? false,
    });
    const o = this.server.options;
    this.established = {
      clientName: user.domain ? `${user.domain}\\${user.user}` : user.user,
      serverName: user.clientTargetName || `${o.nbDomainName}\\${o.nbComputerName}`,
      clientTarget: user.clientTargetName,
      exportedSessionKey: user.exportedSessionKey,
      session,
      channelBound: user.channelBound,
      start: now(),
    };
    return this.result(SEC_E_OK, null);
  }
}
