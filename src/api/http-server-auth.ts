/**
 * The server side of HTTP Negotiate/NTLM, connection-based as IIS does it: a request without
 * credentials gets `401` with `WWW-Authenticate: Negotiate` (or `NTLM`); each `Authorization`
 * token is one {@link AuthContext} step on the connection's context; a completed context
 * authenticates the connection, so later requests on it need no header (a new token starts a new
 * authentication). The final token (Kerberos' AP-REP, SPNEGO's accept-completed) goes back in
 * the success response's `WWW-Authenticate`, so the client can verify the server.
 *
 * {@link HttpAuthAcceptor} is independent of the HTTP library (`async-sspi serve` drives it);
 * {@link httpAuthentication} is the middleware for `http.createServer`/`https.createServer`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { SEC_CHANNEL_BINDINGS } from "../sspi/channel-bindings.js";
import { AuthContext } from "./auth-context.js";
import { type AuthCredentials, acquireAuthCredentials } from "./auth-credentials.js";
import type { AuthError } from "./auth-error.js";
import { channelBindingsOf } from "./channel-bindings.js";
import { formatCredentials, type HttpAuthScheme, parseCredentials } from "./http-auth-scheme.js";

/** The authenticated client of a connection. */
export interface HttpAuthenticatedUser {
  /** The client principal: `alice@EXAMPLE.COM` (Kerberos) or `TESTDOM\alice` (NTLM). */
  user: string;
  /** The package that authenticated it (for Negotiate: `Kerberos` or `NTLM`). */
  package: string;
}

/** What to answer one request. */
export type HttpAuthVerdict =
  | (HttpAuthenticatedUser & {
      kind: "authenticated";
      /** A `WWW-Authenticate` value for the success response (the final token), or null. */
      header: string | null;
    })
  | {
      kind: "challenge";
      /** The `WWW-Authenticate` value of the 401. */
      header: string;
      /** Why the last token was refused (null for a plain challenge). */
      error: AuthError | null;
    };

/** One connection's authentication. */
type ConnectionState =
  | { kind: "anonymous" }
  | { kind: "exchanging"; context: AuthContext }
  | { kind: "authenticated"; who: HttpAuthenticatedUser };

/** A token that starts an authentication: NTLM's NEGOTIATE, or a GSS initial token (Kerberos AP-REQ, SPNEGO NegTokenInit). */
function startsAuthentication(token: Uint8Array): boolean {
  if (token[0] === 0x60) return true;
  return Buffer.from(token.subarray(0, 8)).toString("latin1") === "NTLMSSP\0" && token[8] === 1;
}

/** The authentication of one HTTP connection (see the module documentation). */
export class HttpConnectionAuth {
  #state: ConnectionState = { kind: "anonymous" };
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal Use {@link HttpAuthAcceptor.forConnection}. */
  constructor(
    private readonly credentials: AuthCredentials,
    private readonly scheme: HttpAuthScheme,
    private readonly bindings: SEC_CHANNEL_BINDINGS | null,
  ) {}

  /** The connection's user once authenticated, else null. */
  get user(): HttpAuthenticatedUser | null {
    return this.#state.kind === "authenticated" ? this.#state.who : null;
  }

  /**
   * Decides one request from its `Authorization` value (undefined: none). Requests are decided
   * in order (a second call waits for the first).
   *
   * @returns the user (and the final token's header), or the 401 challenge; never rejects.
   */
  authorize(authorization: string | undefined): Promise<HttpAuthVerdict> {
    const run = this.#queue.then(() => this.#authorize(authorization));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #authorize(authorization: string | undefined): Promise<HttpAuthVerdict> {
    const credentials = parseCredentials(authorization);
    const state = this.#state;
    if (credentials === null || credentials.scheme !== this.scheme) {
      if (state.kind === "authenticated") return { kind: "authenticated", ...state.who, header: null };
      return this.#challenge(null);
    }
    let context: AuthContext;
    if (state.kind === "exchanging" && !startsAuthentication(credentials.token)) context = state.context;
    else {
      if (state.kind === "exchanging") void state.context.close();
      context = new AuthContext(this.credentials, { channelBindings: this.bindings });
    }
    this.#state = { kind: "exchanging", context };
    try {
      const { token, done } = await context.step(credentials.token);
      if (!done) {
        return { kind: "challenge", header: formatCredentials(this.scheme, token), error: null };
      }
      const who = { user: context.names.client, package: context.package };
      this.#state = { kind: "authenticated", who };
      void context.close();
      return {
        kind: "authenticated",
        ...who,
        header: token !== null ? formatCredentials(this.scheme, token) : null,
      };
    } catch (e) {
      this.#state = { kind: "anonymous" };
      void context.close();
      return this.#challenge(e as AuthError);
    }
  }

  #challenge(error: AuthError | null): HttpAuthVerdict {
    return { kind: "challenge", header: this.scheme, error };
  }

  /** Deletes the context of an unfinished exchange. */
  dispose(): void {
    if (this.#state.kind === "exchanging") void this.#state.context.close();
    this.#state = { kind: "anonymous" };
  }
}

/** What {@link HttpAuthAcceptor} and {@link httpAuthentication} take. */
export interface HttpAuthenticationOptions {
  /**
   * `"Negotiate"` (SPNEGO: Kerberos with a keytab, NTLM with a user file) or `"NTLM"`: the
   * package and the HTTP scheme.
   */
  package: HttpAuthScheme;
  /**
   * Inbound credentials of that package; default: acquired with `authData` (null: the keytab of
   * `KRB5_KTNAME`, the users of `NTLM_USER_FILE`).
   */
  credentials?: AuthCredentials;
  /** The package's `pAuthData`, e.g. NTLM's `{ userFile, channelBindingPolicy }`. */
  authData?: unknown;
  /** Pass each TLS connection's tls-server-end-point channel bindings to the package (default true). */
  channelBindings?: boolean;
  /** Called for every refused token (the status and reason; never the credentials). */
  onRefused?: (error: AuthError, socket: Socket) => void;
}

/** The server credentials of one HTTP authentication scheme; one {@link HttpConnectionAuth} per connection. */
export class HttpAuthAcceptor {
  private constructor(
    readonly credentials: AuthCredentials,
    readonly scheme: HttpAuthScheme,
    private readonly withBindings: boolean,
    private readonly owned: boolean,
  ) {}

  /**
   * Acquires the credentials (unless given).
   *
   * @throws {AuthError} as {@link acquireAuthCredentials} (e.g. `SEC_E_NO_CREDENTIALS`: no keytab or user file).
   */
  static async create(options: HttpAuthenticationOptions): Promise<HttpAuthAcceptor> {
    const credentials =
      options.credentials ??
      (await acquireAuthCredentials({
        package: options.package,
        role: "server",
        authData: options.authData,
      }));
    return new HttpAuthAcceptor(
      credentials,
      options.package,
      options.channelBindings ?? true,
      options.credentials === undefined,
    );
  }

  /** The authentication of a new connection; `bindings`: its channel bindings, if TLS. */
  forConnection(bindings: SEC_CHANNEL_BINDINGS | null): HttpConnectionAuth {
    return new HttpConnectionAuth(this.credentials, this.scheme, this.withBindings ? bindings : null);
  }

  /** Frees credentials this acceptor acquired. */
  async close(): Promise<void> {
    if (this.owned) await this.credentials.close();
  }
}

/** A request after {@link httpAuthentication} let it through. */
export interface AuthenticatedRequest extends IncomingMessage {
  /** The connection's authenticated user. */
  authentication: HttpAuthenticatedUser;
}

const BODY_401 = "401 Unauthorized\n";

/**
 * Middleware for `http.createServer` / `https.createServer` handlers (and frameworks with
 * `(req, res, next)`): answers the Negotiate/NTLM challenge, then calls `next()` with
 * `req.authentication` set. Connection-based: once a connection authenticated, its later
 * requests pass without a header. On HTTPS the connection's channel bindings are checked.
 *
 * ```ts
 * const authenticate = httpAuthentication({ package: "Negotiate" });
 * https.createServer(tlsOptions, (req, res) =>
 *   authenticate(req, res, () => res.end(`hello ${(req as AuthenticatedRequest).authentication.user}`)));
 * ```
 *
 * `next(error)` gets an error only when the credentials cannot be acquired (the request is then
 * answered 500 if `next` does not answer it).
 */
export function httpAuthentication(
  options: HttpAuthenticationOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: Error) => void) => void {
  let acceptor: Promise<HttpAuthAcceptor> | null = null;
  const connections = new WeakMap<Socket, HttpConnectionAuth>();
  return (req, res, next) => {
    acceptor ??= HttpAuthAcceptor.create(options);
    acceptor.then(
      async (ready) => {
        const socket = req.socket;
        let auth = connections.get(socket);
        if (auth === undefined) {
          const tls = (socket as TLSSocket).encrypted ? channelBindingsOf(socket as TLSSocket) : null;
          auth = ready.forConnection(tls);
          connections.set(socket, auth);
          const created = auth;
          socket.once("close", () => created.dispose());
        }
        const verdict = await auth.authorize(req.headers.authorization);
        if (verdict.kind === "challenge") {
          if (verdict.error) options.onRefused?.(verdict.error, socket);
          req.resume(); // read the body so the connection stays usable for the next leg
          res.writeHead(401, {
            "WWW-Authenticate": verdict.header,
            "Content-Type": "text/plain",
            "Content-Length": Buffer.byteLength(BODY_401),
          });
          res.end(BODY_401);
          return;
        }
        if (verdict.header !== null) res.setHeader("WWW-Authenticate", verdict.header);
        (req as AuthenticatedRequest).authentication = { user: verdict.user, package: verdict.package };
        next();
      },
      (error: Error) => {
        acceptor = null;
        next(error);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        }
      },
    );
  };
}

/**
 * A request listener for `http(s).createServer` that authenticates every request before
 * `handler` sees it (see {@link httpAuthentication}).
 */
export function withHttpAuthentication(
  options: HttpAuthenticationOptions,
  handler: (req: AuthenticatedRequest, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const authenticate = httpAuthentication(options);
  return (req, res) =>
    authenticate(req, res, (error) => {
      if (error === undefined) handler(req as AuthenticatedRequest, res);
    });
}
