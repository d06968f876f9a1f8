/**
 * The NTLM package through the SSPI surface, the way a C program drives it: acquire the two
 * credentials, then ISC/ASC legs exchanging SECBUFFER_TOKEN buffers — through any of the three
 * front doors (blocking functions, `promises.*`, `Sspi*Async` with a notify callback).
 *
 * @module
 */
import {
  AcceptSecurityContext,
  AcquireCredentialsHandle,
  type Box,
  box,
  CredHandle,
  CtxtHandle,
  DecryptMessage,
  DeleteSecurityContext,
  EncryptMessage,
  FreeCredentialsHandle,
  InitializeSecurityContext,
  MakeSignature,
  type NtlmAcceptorCredentials,
  promises,
  QueryContextAttributes,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_DATA,
  SECBUFFER_TOKEN,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  type SecBuffer,
  type SecBufferDesc,
  SecIsValidHandle,
  SspiAcceptSecurityContextAsync,
  SspiAcquireCredentialsHandleAsync,
  type SspiAsyncContext,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiGetLastErrorInfo,
  SspiInitializeSecurityContextAsync,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
  type TimeStamp,
  VerifySignature,
} from "../../../src/index.js";
import { userStoreFromText } from "../../../src/ntlm/user-store.js";
import { USERS } from "./exchange.js";

export type FrontDoor = "blocking" | "promise" | "async";
export const FRONT_DOORS: readonly FrontDoor[] = ["blocking", "promise", "async"];

/** Runs one queued `Sspi*Async` call to completion: its final status (or the queueing failure). */
function viaAsyncContext(queue: (ctx: SspiAsyncContext) => SECURITY_STATUS): Promise<SECURITY_STATUS> {
  const ctx = SspiCreateAsyncContext();
  return new Promise<SECURITY_STATUS>((resolve) => {
    SspiSetAsyncNotifyCallback(ctx, (done) => resolve(SspiGetAsyncCallStatus(done)));
    const queued = queue(ctx);
    if (queued !== SEC_E_OK) resolve(queued);
  }).finally(() => SspiFreeAsyncContext(ctx));
}

export function acquire(
  door: FrontDoor,
  use: number,
  authData: unknown,
  cred: CredHandle,
  principal: string | null = null,
  expiry: Box<TimeStamp> | null = null,
): Promise<SECURITY_STATUS> {
  const args = [principal, "NTLM", use, null, authData, null, null, cred, expiry] as const;
  if (door === "blocking") return Promise.resolve(AcquireCredentialsHandle(...args));
  if (door === "promise") return promises.AcquireCredentialsHandle(...args);
  return viaAsyncContext((ctx) => SspiAcquireCredentialsHandleAsync(ctx, ...args));
}

export function initialize(
  door: FrontDoor,
  cred: CredHandle | null,
  context: CtxtHandle,
  target: string | null,
  fContextReq: number,
  input: SecBufferDesc | null,
  output: SecBufferDesc,
  attr: Box<number>,
): Promise<SECURITY_STATUS> {
  const args = [
    cred,
    SecIsValidHandle(context) ? context : null,
    target,
    fContextReq,
    0,
    0,
    input,
    0,
    context,
    output,
    attr,
    null,
  ] as const;
  if (door === "blocking") return Promise.resolve(InitializeSecurityContext(...args));
  if (door === "promise") return promises.InitializeSecurityContext(...args);
  return viaAsyncContext((ctx) => SspiInitializeSecurityContextAsync(ctx, ...args));
}

export function accept(
  door: FrontDoor,
  cred: CredHandle | null,
  context: CtxtHandle,
  input: SecBufferDesc | null,
  fContextReq: number,
  output: SecBufferDesc,
  attr: Box<number>,
): Promise<SECURITY_STATUS> {
  const args = [
    cred,
    SecIsValidHandle(context) ? context : null,
    input,
    fContextReq,
    0,
    context,
    output,
    attr,
    null,
  ] as const;
  if (door === "blocking") return Promise.resolve(AcceptSecurityContext(...args));
  if (door === "promise") return promises.AcceptSecurityContext(...args);
  return viaAsyncContext((ctx) => SspiAcceptSecurityContextAsync(ctx, ...args));
}

/** A token input descriptor, plus any extra buffers (SECBUFFER_CHANNEL_BINDINGS). */
export function tokenInput(token: Uint8Array | null, ...extra: SecBuffer[]): SecBufferDesc | null {
  const buffers = [...(token ? [secBuffer(SECBUFFER_TOKEN, token)] : []), ...extra];
  return buffers.length === 0 ? null : secBufferDesc(...buffers);
}

/** A caller-supplied output token buffer of cbMaxToken bytes. */
export function tokenOutput(): SecBufferDesc {
  return secBufferDesc(secBuffer(SECBUFFER_TOKEN, 2888));
}

/** The bytes of the first output buffer. */
export function outputToken(desc: SecBufferDesc): Uint8Array {
  const b = desc.pBuffers[0]!;
  return (b.pvBuffer ?? new Uint8Array(0)).slice(0, b.cbBuffer);
}

/** Inbound pAuthData serving {@link USERS} (support/exchange.ts) through a synchronous lookup. */
export function acceptorCredentials(extra: Partial<NtlmAcceptorCredentials> = {}): NtlmAcceptorCredentials {
  return {
    lookup: userStoreFromText(USERS).lookup,
    nbComputerName: "SERVER",
    nbDomainName: "TESTDOM",
    dnsComputerName: "server.testdom.test",
    ...extra,
  };
}

/** An exchange's two ends and what each call returned. */
export interface SspiExchange {
  clientCred: CredHandle;
  serverCred: CredHandle;
  client: CtxtHandle;
  server: CtxtHandle;
  clientAttr: Box<number>;
  serverAttr: Box<number>;
  /** Statuses in order: ISC 1, ASC 1, ISC 2, ASC 2 (shorter when a call failed). */
  statuses: SECURITY_STATUS[];
  tokens: Uint8Array[];
  dispose(): void;
}

export interface ExchangeOptions {
  door?: FrontDoor;
  identity?: unknown;
  acceptor?: unknown;
  iscReq?: number;
  ascReq?: number;
  target?: string | null;
  clientBindings?: SecBuffer;
  serverBindings?: SecBuffer;
  /** Rewrites the token before the peer sees it (tampering tests). */
  alter?: (leg: number, token: Uint8Array) => Uint8Array;
}

/** Runs the NTLM exchange through the SSPI surface; stops at the first failing call. */
export async function sspiExchange(o: ExchangeOptions = {}): Promise<SspiExchange> {
  const door = o.door ?? "blocking";
  const x: SspiExchange = {
    clientCred: new CredHandle(),
    serverCred: new CredHandle(),
    client: new CtxtHandle(),
    server: new CtxtHandle(),
    clientAttr: box(0),
    serverAttr: box(0),
    statuses: [],
    tokens: [],
    dispose() {
      for (const h of [x.client, x.server]) if (SecIsValidHandle(h)) DeleteSecurityContext(h);
      for (const h of [x.clientCred, x.serverCred]) if (SecIsValidHandle(h)) FreeCredentialsHandle(h);
    },
  };
  const identity =
    o.identity === undefined ? { User: "alice", Domain: "TESTDOM", Password: "alicepw" } : o.identity;
  const acceptorData = o.acceptor ?? acceptorCredentials();
  const a = await acquire(door, SECPKG_CRED_OUTBOUND, identity, x.clientCred);
  const b = await acquire(door, SECPKG_CRED_INBOUND, acceptorData, x.serverCred);
  if (a !== SEC_E_OK || b !== SEC_E_OK) throw new Error(`acquire failed: ${a} ${b}`);
  const target = o.target === undefined ? "HTTP/server.testdom.test" : o.target;
  const alter = o.alter ?? ((_: number, t: Uint8Array) => t);
  const cb = (b?: SecBuffer) => (b ? [b] : []);
  let out = tokenOutput();
  let status = await initialize(
    door,
    x.clientCred,
    x.client,
    target,
    o.iscReq ?? 0,
    tokenInput(null, ...cb(o.clientBindings)),
    out,
    x.clientAttr,
  );
  x.statuses.push(status);
  if (status !== SEC_I_CONTINUE_NEEDED) return x;
  x.tokens.push(outputToken(out));
  out = tokenOutput();
  status = await accept(
    door,
    x.serverCred,
    x.server,
    tokenInput(alter(0, x.tokens[0]!), ...cb(o.serverBindings)),
    o.ascReq ?? 0,
    out,
    x.serverAttr,
  );
  x.statuses.push(status);
  if (status !== SEC_I_CONTINUE_NEEDED) return x;
  x.tokens.push(outputToken(out));
  out = tokenOutput();
  status = await initialize(
    door,
    null,
    x.client,
    target,
    o.iscReq ?? 0,
    tokenInput(alter(1, x.tokens[1]!), ...cb(o.clientBindings)),
    out,
    x.clientAttr,
  );
  x.statuses.push(status);
  if (status !== SEC_E_OK) return x;
  x.tokens.push(outputToken(out));
  out = tokenOutput();
  status = await accept(
    door,
    null,
    x.server,
    tokenInput(alter(2, x.tokens[2]!), ...cb(o.serverBindings)),
    o.ascReq ?? 0,
    out,
    x.serverAttr,
  );
  x.statuses.push(status);
  x.tokens.push(outputToken(out));
  return x;
}

/**
 * One end of an NTLM exchange through the SSPI surface, for driving a peer we did not write
 * token by token: `step()` is ISC or ASC (promise front door), `wrap`/`unwrap` are the GSS wrap
 * token (`signature ‖ sealed`) made with EncryptMessage/DecryptMessage, `sign`/`verify` are
 * MakeSignature/VerifySignature.
 */
export class SspiNtlmEnd {
  readonly credential = new CredHandle();
  readonly context = new CtxtHandle();
  readonly attr = box(0);

  private constructor(
    readonly role: "initiator" | "acceptor",
    private readonly fContextReq: number,
    private readonly target: string | null,
    private readonly bindings: SecBuffer | undefined,
  ) {}

  static async initiator(
    identity: unknown,
    options: { target?: string; fContextReq?: number; bindings?: SecBuffer } = {},
  ): Promise<SspiNtlmEnd> {
    const end = new SspiNtlmEnd(
      "initiator",
      options.fContextReq ?? 0,
      options.target ?? null,
      options.bindings,
    );
    await end.acquire(SECPKG_CRED_OUTBOUND, identity);
    return end;
  }

  static async acceptor(
    authData: unknown,
    options: { fContextReq?: number; bindings?: SecBuffer } = {},
  ): Promise<SspiNtlmEnd> {
    const end = new SspiNtlmEnd("acceptor", options.fContextReq ?? 0, null, options.bindings);
    await end.acquire(SECPKG_CRED_INBOUND, authData);
    return end;
  }

  private async acquire(use: number, authData: unknown): Promise<void> {
    const status = await acquire("promise", use, authData, this.credential);
    if (status !== SEC_E_OK) throw new Error(`AcquireCredentialsHandle: ${SspiGetLastErrorInfo()?.message}`);
  }

  /** One ISC/ASC call: its status and output token. */
  async step(token: Uint8Array | null): Promise<{ status: SECURITY_STATUS; output: Uint8Array }> {
    const out = tokenOutput();
    const extra = this.bindings ? [this.bindings] : [];
    const first = !SecIsValidHandle(this.context);
    const status =
      this.role === "initiator"
        ? await initialize(
            "promise",
            first ? this.credential : null,
            this.context,
            this.target,
            this.fContextReq,
            tokenInput(token, ...extra),
            out,
            this.attr,
          )
        : await accept(
            "promise",
            first ? this.credential : null,
            this.context,
            tokenInput(token, ...extra),
            this.fContextReq,
            out,
            this.attr,
          );
    return { status, output: outputToken(out) };
  }

  /** Why the last call on this context failed. */
  get reason(): string {
    return SspiGetLastErrorInfo(this.context)?.message ?? "";
  }

  wrap(message: Uint8Array): Uint8Array {
    const token = secBuffer(SECBUFFER_TOKEN, 16);
    const data = secBuffer(SECBUFFER_DATA, message.slice());
    const status = EncryptMessage(this.context, 0, secBufferDesc(token, data), 0);
    if (status !== SEC_E_OK) throw new Error(`EncryptMessage: ${this.reason}`);
    return Buffer.concat([token.pvBuffer!.subarray(0, token.cbBuffer), data.pvBuffer!]);
  }

  unwrap(wrapped: Uint8Array): Uint8Array {
    const desc = secBufferDesc(
      secBuffer(SECBUFFER_TOKEN, wrapped.slice(0, 16)),
      secBuffer(SECBUFFER_DATA, wrapped.slice(16)),
    );
    const status = DecryptMessage(this.context, desc, 0, null);
    if (status !== SEC_E_OK) throw new Error(`DecryptMessage: ${this.reason}`);
    return desc.pBuffers[1]!.pvBuffer!;
  }

  sign(message: Uint8Array): Uint8Array {
    const sig = secBuffer(SECBUFFER_TOKEN, 16);
    const status = MakeSignature(this.context, 0, secBufferDesc(secBuffer(SECBUFFER_DATA, message), sig), 0);
    if (status !== SEC_E_OK) throw new Error(`MakeSignature: ${this.reason}`);
    return sig.pvBuffer!.slice(0, sig.cbBuffer);
  }

  verify(message: Uint8Array, signature: Uint8Array): SECURITY_STATUS {
    return VerifySignature(
      this.context,
      secBufferDesc(secBuffer(SECBUFFER_DATA, message), secBuffer(SECBUFFER_TOKEN, signature)),
      0,
      null,
    );
  }

  /** QueryContextAttributes that must succeed. */
  query<T>(attribute: number): T {
    const value = box<unknown>(null);
    const status = QueryContextAttributes(this.context, attribute, value);
    if (status !== SEC_E_OK) throw new Error(`QueryContextAttributes(${attribute}): ${this.reason}`);
    return value.value as T;
  }

  dispose(): void {
    if (SecIsValidHandle(this.context)) DeleteSecurityContext(this.context);
    if (SecIsValidHandle(this.credential)) FreeCredentialsHandle(this.credential);
  }
}
