/**
 * `NegotiateDispatcher`: an undici dispatcher that answers `401` `WWW-Authenticate: Negotiate`
 * / `NTLM` (and `407` `Proxy-Authenticate` from a forward proxy) on the same kept-alive
 * connection, with the HTTPS connection's tls-server-end-point channel bindings, and verifies
 * the server's mutual-authentication token (Kerberos) before the response reaches the caller.
 *
 * One connection per origin (undici `Client` through an `Agent` with `connections: 1`), so the
 * legs of NTLM's connection-based handshake share it; requests to one origin run one at a time.
 * Request bodies are buffered (up to {@link MAX_REPLAY_BODY} bytes) so a 401 leg can resend
 * them.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { Agent, buildConnector, DecoratorHandler, Dispatcher } from "undici";
import { AuthError } from "../api/auth-error.js";
import { channelBindingsOf } from "../api/channel-bindings.js";
import { type AuthHeaders, PROXY_HEADERS, parseChallenges, SERVER_HEADERS } from "../api/http-auth-scheme.js";
import {
  type HttpAuthExchange,
  HttpClientAuth,
  type HttpClientAuthOptions,
  MAX_LEGS,
} from "../api/http-client-auth.js";
import { SEC_E_INSUFFICIENT_MEMORY, SEC_E_INVALID_TOKEN } from "../sspi/status.js";

/** Largest request body kept for resending on a 401/407 leg. */
export const MAX_REPLAY_BODY = 8 * 1024 * 1024;

/** How one request's authentication ended. */
export interface AuthOutcome {
  /** The request URL. */
  url: string;
  /** `"server"` (401) or `"proxy"` (407). */
  by: "server" | "proxy";
  /** The HTTP scheme answered. */
  scheme: "Negotiate" | "NTLM";
  /** The package used (for Negotiate: the one it chose, Kerberos or NTLM). */
  package: string;
  /** The final status: not 401/407 when authenticated. */
  status: number;
  /** Whether the server's final token proved its identity (Kerberos' mutual authentication). */
  mutual: boolean;
}

/** What {@link NegotiateDispatcher} takes. */
export interface NegotiateDispatcherOptions extends HttpClientAuthOptions {
  /** TLS and socket options of the connections (`ca`, `servername`, `rejectUnauthorized`, timeouts). */
  connect?: buildConnector.BuildOptions;
  /**
   * A forward proxy (`http://host:port`) for `http://` URLs; its `407 Proxy-Authenticate:
   * Negotiate|NTLM` is answered with the same credentials.
   */
  proxy?: string;
  /** Called once per authentication with its outcome (e.g. to log the package chosen). */
  onAuthenticated?: (outcome: AuthOutcome) => void;
}

type Headers = Record<string, string | string[]>;

function normalizeHeaders(headers: Dispatcher.DispatchOptions["headers"]): Headers {
  const out: Headers = {};
  const add = (name: string, value: string | string[] | undefined) => {
    if (value === undefined) return;
    const key = name.toLowerCase();
    const existing = out[key];
    out[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  };
  if (headers == null) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as Array<[string, string]>) add(name, value);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) add(String(headers[i]), String(headers[i + 1]));
    }
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>)
      add(name, value);
  } else {
    for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>))
      add(name, value);
  }
  return out;
}

function headerValues(headers: Record<string, string | string[] | undefined>, name: string): string[] {
  const value = headers[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

async function replayableBody(
  body: Dispatcher.DispatchOptions["body"],
): Promise<Dispatcher.DispatchOptions["body"]> {
  if (body == null || typeof body === "string" || body instanceof Uint8Array) return body;
  const iterable = body as AsyncIterable<Uint8Array | string>;
  if (
    typeof iterable[Symbol.asyncIterator] !== "function" &&
    typeof (body as Iterable<unknown>)[Symbol.iterator] !== "function"
  )
    return body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of iterable as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk);
    size += bytes.byteLength;
    if (size > MAX_REPLAY_BODY)
      throw AuthError.refused(
        "InitializeSecurityContext",
        SEC_E_INSUFFICIENT_MEMORY,
        `request bodies are buffered to be resent on a 401 leg; this one exceeds ${MAX_REPLAY_BODY} bytes`,
      );
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function originKey(protocol: string, host: string): string {
  return `${protocol}//${host}`.toLowerCase();
}

/** An undici dispatcher answering HTTP Negotiate/NTLM (see the module documentation). */
export class NegotiateDispatcher extends Dispatcher {
  readonly #agent: Agent;
  readonly #auth: HttpClientAuth;
  readonly #sockets = new Map<string, Socket>();
  readonly #proxy: URL | null;
  readonly #onAuthenticated: ((outcome: AuthOutcome) => void) | undefined;

  constructor(options: NegotiateDispatcherOptions = {}) {
    super();
    this.#auth = new HttpClientAuth(options);
    this.#proxy = options.proxy ? new URL(options.proxy) : null;
    this.#onAuthenticated = options.onAuthenticated;
    // No TLS session resumption by default: Node exposes no peer certificate on a resumed
    // session, so its tls-server-end-point channel bindings could not be computed.
    const connector = buildConnector({
      ...(options.channelBindings !== false ? { maxCachedSessions: 0 } : {}),
      ...options.connect,
    });
    this.#agent = new Agent({
      connections: 1,
      connect: (opts, callback) =>
        connector(opts, (error, socket) => {
          if (socket)
            this.#sockets.set(originKey(opts.protocol, opts.host ?? opts.hostname), socket as Socket);
          if (error) callback(error, null);
          else callback(null, socket!);
        }),
    });
  }

  /** @internal The channel bindings of the current connection to `origin` (HTTPS only). */
  bindingsFor(origin: URL) {
    const socket = this.#sockets.get(originKey(origin.protocol, origin.host));
    return socket && (socket as TLSSocket).encrypted ? channelBindingsOf(socket as TLSSocket) : null;
  }

  /** @internal */
  get auth(): HttpClientAuth {
    return this.#auth;
  }

  /** @internal */
  reportOutcome(outcome: AuthOutcome): void {
    this.#onAuthenticated?.(outcome);
  }

  /** @internal One leg on the origin's connection. */
  dispatchLeg(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#agent.dispatch(opts, handler);
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const target = new URL(opts.path, opts.origin ?? undefined);
    let dispatched: Dispatcher.DispatchOptions = { ...opts, headers: normalizeHeaders(opts.headers) };
    if (this.#proxy !== null && target.protocol === "http:") {
      dispatched = {
        ...dispatched,
        origin: this.#proxy.origin,
        path: target.href,
        headers: { ...(dispatched.headers as Headers), host: target.host },
      };
    }
    const auth = new AuthHandler(this, dispatched, target, handler);
    if (opts.body == null || typeof opts.body === "string" || opts.body instanceof Uint8Array)
      return this.#agent.dispatch(dispatched, auth);
    replayableBody(opts.body).then(
      (body) => {
        dispatched.body = body;
        this.#agent.dispatch(dispatched, auth);
      },
      (error: Error) => auth.fail(error),
    );
    return true;
  }

  /** Closes the connections after the requests in flight, and frees the credentials. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#agent.close().then(() => this.#auth.close());
    if (callback === undefined) return done;
    void done.then(callback);
  }

  /** Destroys the connections now, and frees the credentials. */
  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === "function" ? null : (first ?? null);
    const callback = typeof first === "function" ? first : second;
    const done = this.#agent.destroy(error).then(() => this.#auth.close());
    if (callback === undefined) return done;
    void done.then(callback);
  }
}

type Controller = Dispatcher.DispatchController;

type Phase =
  | { kind: "forwarding" }
  | { kind: "answering"; headers: AuthHeaders; values: string[] }
  | { kind: "verifying"; queued: Array<() => void>; ended: boolean }
  | { kind: "failed" };

/** The controller-style handler interface (undici's `DecoratorHandler` adapts legacy handlers to it). */
interface ControllerHandler {
  onRequestStart?(controller: Controller, context: unknown): void;
  onRequestUpgrade?(controller: Controller, statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStart?(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[]>,
    statusMessage?: string,
  ): void;
  onResponseData?(controller: Controller, chunk: Buffer): void;
  onResponseEnd?(controller: Controller, trailers: Record<string, string | string[]>): void;
  onResponseError?(controller: Controller | null, error: Error): void;
}

/** One request: suppresses the 401/407 legs it answers and forwards the final response. */
class AuthHandler implements ControllerHandler {
  readonly #inner: ControllerHandler;
  #phase: Phase = { kind: "forwarding" };
  #exchange: { exchange: HttpAuthExchange; headers: AuthHeaders } | null = null;
  #errored = false;

  constructor(
    private readonly host: NegotiateDispatcher,
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly target: URL,
    handler: Dispatcher.DispatchHandler,
  ) {
    this.#inner = new DecoratorHandler(handler as never) as unknown as ControllerHandler;
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Controller, statusCode: number, headers: unknown, socket: unknown): void {
    this.#inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  /** Fails the request before any leg was dispatched. */
  fail(error: Error): void {
    this.#forwardError(null, error);
  }

  #challengeHeaders(status: number): AuthHeaders | null {
    return status === 401 ? SERVER_HEADERS : status === 407 ? PROXY_HEADERS : null;
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[]>,
    statusMessage?: string,
  ): void {
    const kind = this.#challengeHeaders(statusCode);
    const current = this.#exchange;
    if (kind !== null) {
      const values = headerValues(headers, kind.challenge);
      const answerable =
        current === null || current.headers !== kind
          ? this.host.auth.choose(values) !== null && (current === null || current.exchange.context.done)
          : parseChallenges(values).some((c) => c.scheme === current.exchange.scheme && c.token !== null);
      if (answerable) {
        this.#phase = { kind: "answering", headers: kind, values };
        return;
      }
    }
    if (current !== null) {
      const finalValues = headerValues(headers, current.headers.challenge);
      const needsStep =
        !current.exchange.context.done ||
        parseChallenges(finalValues).some((c) => c.scheme === current.exchange.scheme && c.token !== null);
      if (needsStep && kind === null) {
        const phase: Phase = { kind: "verifying", queued: [], ended: false };
        this.#phase = phase;
        controller.pause();
        current.exchange.verify(finalValues).then(
          () => {
            if (this.#phase !== phase) return;
            this.#phase = { kind: "forwarding" };
            this.#report(statusCode);
            this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
            for (const event of phase.queued) event();
            if (!phase.ended) controller.resume();
          },
          (error: Error) => {
            if (this.#phase !== phase) return;
            this.#phase = { kind: "failed" };
            if (phase.ended) this.#forwardError(controller, error);
            else controller.abort(error);
          },
        );
        return;
      }
      this.#report(statusCode);
    }
    this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  #report(status: number): void {
    const current = this.#exchange;
    if (current === null) return;
    this.host.reportOutcome({
      url: this.target.href,
      by: current.headers === PROXY_HEADERS ? "proxy" : "server",
      scheme: current.exchange.scheme,
      package: current.exchange.package,
      status,
      mutual: current.exchange.context.mutuallyAuthenticated,
    });
    void current.exchange.context.close(); // the exchange is over: delete its context
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    const phase = this.#phase;
    if (phase.kind === "answering" || phase.kind === "failed") return;
    if (phase.kind === "verifying") {
      phase.queued.push(() => this.#inner.onResponseData?.(controller, chunk));
      return;
    }
    this.#inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Controller, trailers: Record<string, string | string[]>): void {
    const phase = this.#phase;
    if (phase.kind === "failed") return;
    if (phase.kind === "verifying") {
      phase.ended = true;
      phase.queued.push(() => this.#inner.onResponseEnd?.(controller, trailers));
      return;
    }
    if (phase.kind === "answering") {
      this.#nextLeg(phase.headers, phase.values).then(
        (sent) => {
          if (!sent)
            this.#forwardError(
              controller,
              AuthError.refused(
                "InitializeSecurityContext",
                SEC_E_INVALID_TOKEN,
                `the ${phase.headers === PROXY_HEADERS ? "proxy" : "server"} kept challenging after ${MAX_LEGS} legs`,
              ),
            );
        },
        (error: Error) => this.#forwardError(controller, error),
      );
      return;
    }
    this.#inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Controller, error: Error): void {
    this.#forwardError(controller, error);
  }

  #forwardError(controller: Controller | null, error: Error): void {
    if (this.#errored) return;
    this.#errored = true;
    this.#phase = { kind: "failed" };
    void this.#exchange?.exchange.context.close();
    this.#inner.onResponseError?.(controller as Controller, error);
  }

  /**
   * Computes the next Authorization value and sends the request again on the same connection.
   *
   * @returns false when there is nothing to answer (the suppressed response cannot be replayed:
   *   only reached if the challenge changed between the check and the answer).
   */
  async #nextLeg(headers: AuthHeaders, values: string[]): Promise<boolean> {
    let value: string | null;
    const current = this.#exchange;
    if (current !== null && current.headers === headers && !current.exchange.context.done) {
      value = await current.exchange.answer(values);
    } else {
      if (current !== null) void current.exchange.context.close();
      const origin = headers === PROXY_HEADERS ? new URL(this.opts.origin!) : this.target;
      const exchange = await this.host.auth.start(
        origin,
        values,
        this.host.bindingsFor(new URL(this.opts.origin!)),
      );
      this.#exchange = exchange && { exchange, headers };
      value = exchange?.header ?? null;
    }
    if (value === null) return false;
    this.#phase = { kind: "forwarding" };
    const next = { ...this.opts, headers: { ...(this.opts.headers as Headers), [headers.answer]: value } };
    this.host.dispatchLeg(next, this); // false only asks for backpressure: the request is queued
    return true;
  }
}
