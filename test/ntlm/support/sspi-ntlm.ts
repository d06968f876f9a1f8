/**
 * The NTLM package through the SSPI surface, the way a C program drives it: acquire the two
 * credentials, then ISC/ASC legs exchanging SECBUFFER_TOKEN buffers — through any of the three
 * front doors (blocking functions, `promises.*`, `Sspi*Async` with a notify callback).
 * {@link SspiNtlmEnd} drives another package by name too (`options.package`: "Negotiate").
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

/** Calls one SSPI function through `door`: blocking, its promise form, or its `Sspi*Async` form. */
function through<A extends unknown[]>(
  door: FrontDoor,
  args: Readonly<A>,
  blocking: (...a: A) => SECURITY_STATUS,
  promise: (...a: A) => Promise<SECURITY_STATUS>,
  queue: (ctx: SspiAsyncContext, ...a: A) => SECURITY_STATUS,
): Promise<SECURITY_STATUS> {
  if (door === "blocking") return Promise.resolve(blocking(...args));
  if (door === "promise") return promise(...args);
  return viaAsyncContext((ctx) => queue(ctx, ...args));
}

export function acquire(
  door: FrontDoor,
  use: number,
  authData: unknown,
  cred: CredHandle,
  principal: string | null = null,
  expiry: Box<TimeStamp> | null = null,
  pkg = "NTLM",
): Promise<SECURITY_STATUS> {
  const args = [principal, pkg, use, null, authData, null, null, cred, expiry] as const;
  return through(
    door,
    args,
    AcquireCredentialsHandle,
    promises.AcquireCredentialsHandle,
    SspiAcquireCredentialsHandleAsync,
  );
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
  return through(
    door,
    args,
    InitializeSecurityContext,
    promises.InitializeSecurityContext,
    SspiInitializeSecurityContextAsync,
  );
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
  return through(
    door,
    args,
    AcceptSecurityContext,
    promises.AcceptSecurityContext,
    SspiAcceptSecurityContextAsync,
  );
}

/** A token input descriptor, plus any extra buffers (SECBUFFER_CHANNEL_BINDINGS). */
export function tokenInput(token: Uint8Array | null, ...extra: SecBuffer[]): SecBufferDesc | null {
  const buffers = [...(token ? [secBuffer(SECBUFFER_TOKEN, token)] : []), ...extra];
  return buffers.length === 0 ? null : secBufferDesc(...buffers);
}

/** A caller-supplied output token buffer of cbMaxToken bytes (NTLM's by default). */
export function tokenOutput(cbMaxToken = 2888): SecBufferDesc {
  return secBufferDesc(secBuffer(SECBUFFER_TOKEN, cbMaxToken));
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
  client: CtxtHandle;
  server: CtxtHandle;
  clientAttr: Box<number>;
  serverAttr: Box<number>;
  /** Statuses in order: ISC 1, ASC 1, ISC 2, ASC 2 (shorter when a call failed). */
  statuses: SECURITY_STATUS[];
  /** The output token of each call (empty when there was none). */
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
  /** Rewrites the token of call `leg` (0 = NEGOTIATE) before the peer sees it (tampering tests). */
  alter?: (leg: number, token: Uint8Array) => Uint8Array;
}

const EXPECTED = [SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED, SEC_E_OK, SEC_E_OK];

/** Runs the NTLM exchange through the SSPI surface; stops at the first call that did not go on. */
export async function sspiExchange(o: ExchangeOptions = {}): Promise<SspiExchange> {
  const door = o.door ?? "blocking";
  const identity =
    o.identity === undefined ? { User: "alice", Domain: "TESTDOM", Password: "alicepw" } : o.identity;
  const target = o.target === undefined ? "HTTP/server.testdom.test" : o.target;
  const client = await SspiNtlmEnd.initiator(identity, {
    door,
    ...(target !== null && { target }),
    fContextReq: o.iscReq ?? 0,
    ...(o.clientBindings && { bindings: o.clientBindings }),
  });
  const server = await SspiNtlmEnd.acceptor(o.acceptor ?? acceptorCredentials(), {
    door,
    fContextReq: o.ascReq ?? 0,
    ...(o.serverBindings && { bindings: o.serverBindings }),
  });
  const x: SspiExchange = {
    client: client.context,
    server: server.context,
    clientAttr: client.attr,
    serverAttr: server.attr,
    statuses: [],
    tokens: [],
    dispose() {
      client.dispose();
      server.dispose();
    },
  };
  const alter = o.alter ?? ((_: number, t: Uint8Array) => t);
  for (let leg = 0; leg < EXPECTED.length; leg++) {
    const input = leg === 0 ? null : alter(leg - 1, x.tokens[leg - 1]!);
    const { status, output } = await (leg % 2 === 0 ? client : server).step(input);
    x.statuses.push(status);
    x.tokens.push(output);
    if (status !== EXPECTED[leg]) break;
  }
  return x;
}

/** How an {@link SspiNtlmEnd} calls: front door (default `promise`), flags, SPN, bindings, package. */
export interface EndOptions {
  door?: FrontDoor;
  /** The package to acquire (default "NTLM"). */
  package?: string;
  /** The output buffer's size (default NTLM's cbMaxToken). */
  cbMaxToken?: number;
  fContextReq?: number;
  target?: string;
  bindings?: SecBuffer;
}

/**
 * One end of an NTLM exchange through the SSPI surface, for driving a peer we did not write
 * token by token: `step()` is ISC or ASC (through the chosen front door), `wrap`/`unwrap` are the GSS wrap
 * token (`signature ‖ sealed`) made with EncryptMessage/DecryptMessage, `sign`/`verify` are
 * MakeSignature/VerifySignature.
 */
export class SspiNtlmEnd {
  readonly credential = new CredHandle();
  readonly context = new CtxtHandle();
  readonly attr = box(0);

  private constructor(
    readonly role: "initiator" | "acceptor",
    private readonly options: EndOptions,
  ) {}

  static async initiator(identity: unknown, options: EndOptions = {}): Promise<SspiNtlmEnd> {
    const end = new SspiNtlmEnd("initiator", options);
    await end.acquire(SECPKG_CRED_OUTBOUND, identity);
    return end;
  }

  static async acceptor(authData: unknown, options: Omit<EndOptions, "target"> = {}): Promise<SspiNtlmEnd> {
    const end = new SspiNtlmEnd("acceptor", options);
    await end.acquire(SECPKG_CRED_INBOUND, authData);
    return end;
  }

  private get door(): FrontDoor {
    return this.options.door ?? "promise";
  }

  private async acquire(use: number, authData: unknown): Promise<void> {
    const status = await acquire(this.door, use, authData, this.credential, null, null, this.options.package);
    if (status !== SEC_E_OK) throw new Error(`AcquireCredentialsHandle: ${SspiGetLastErrorInfo()?.message}`);
  }

  /** One ISC/ASC call: its status and output token. */
  async step(token: Uint8Array | null): Promise<{ status: SECURITY_STATUS; output: Uint8Array }> {
    const o = this.options;
    const out = tokenOutput(o.cbMaxToken);
    const input = tokenInput(token, ...(o.bindings ? [o.bindings] : []));
    const credential = SecIsValidHandle(this.context) ? null : this.credential;
    const req = o.fContextReq ?? 0;
    const status =
      this.role === "initiator"
        ? await initialize(this.door, credential, this.context, o.target ?? null, req, input, out, this.attr)
        : await accept(this.door, credential, this.context, input, req, out, this.attr);
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
