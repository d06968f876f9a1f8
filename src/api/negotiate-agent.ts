/**
 * `NegotiateAgent`: an `https.Agent` for `https.request` / `https.get` whose connections are
 * authenticated with Negotiate or NTLM before a request is sent on them, as IIS (and
 * `async-sspi serve --auth`) authenticate: per connection. On each new connection the agent sends
 * `HEAD <path>`; a `401 WWW-Authenticate: Negotiate|NTLM` is answered leg by leg on that
 * connection (with its tls-server-end-point channel bindings), the server's final token is
 * verified (Kerberos' mutual authentication), and only then does the request go out on the
 * authenticated, kept-alive connection. A failure is the request's `'error'` (an
 * {@link AuthError}).
 *
 * Servers that authenticate every request rather than the connection (Apache mod_auth_gssapi
 * without `GssapiConnectionBound On`) need the fetch dispatcher (`async-sspi/fetch`), which
 * answers each 401.
 *
 * @module
 */
import { Agent, type AgentOptions, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { SEC_E_INVALID_TOKEN, SEC_E_LOGON_DENIED } from "../sspi/status.js";
import { AuthError } from "./auth-error.js";
import { channelBindingsOf } from "./channel-bindings.js";
import { SERVER_HEADERS } from "./http-auth-scheme.js";
import { HttpClientAuth, type HttpClientAuthOptions } from "./http-client-auth.js";

/** What {@link NegotiateAgent} takes: `https.Agent`'s options (keepAlive defaults to true) and the authentication's. */
export type NegotiateAgentOptions = AgentOptions & HttpClientAuthOptions;

/** The head of one response read from a raw connection. */
interface ResponseHead {
  status: number;
  headers: Map<string, string[]>;
}

const MAX_HEAD = 64 * 1024;
const HEAD_TIMEOUT_MS = 30_000;

/** Reads one response head (a HEAD response has no body) without putting the socket in flowing mode. */
function readHead(socket: TLSSocket): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      socket.off("error", onError);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => onError(new Error("the server closed the connection during the authentication"));
    const timer = setTimeout(
      () => onError(new Error(`no response within ${HEAD_TIMEOUT_MS} ms during the authentication`)),
      HEAD_TIMEOUT_MS,
    );
    const onReadable = () => {
      for (
        let chunk = socket.read() as Buffer | null;
        chunk !== null;
        chunk = socket.read() as Buffer | null
      ) {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) {
          if (buffered.byteLength > MAX_HEAD) onError(new Error("the response head is too large"));
          continue;
        }
        cleanup();
        const rest = buffered.subarray(end + 4);
        if (rest.byteLength > 0) socket.unshift(rest);
        const [statusLine = "", ...lines] = buffered.subarray(0, end).toString("latin1").split("\r\n");
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
        if (!Number.isInteger(status)) return reject(new Error(`not an HTTP response: ${statusLine}`));
        const headers = new Map<string, string[]>();
        for (const line of lines) {
          const colon = line.indexOf(":");
          if (colon <= 0) continue;
          const name = line.slice(0, colon).trim().toLowerCase();
          headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
        }
        return resolve({ status, headers });
      }
    };
    socket.on("readable", onReadable);
    socket.once("end", onEnd);
    socket.once("error", onError);
    onReadable();
  });
}

/** An `https.Agent` authenticating its connections with Negotiate/NTLM (see the module documentation). */
export class NegotiateAgent extends Agent {
  readonly #auth: HttpClientAuth;

  constructor(options: NegotiateAgentOptions = {}) {
    // No TLS session resumption by default: Node exposes no peer certificate on a resumed
    // session, so its tls-server-end-point channel bindings could not be computed.
    super({
      keepAlive: true,
      ...(options.channelBindings !== false ? { maxCachedSessions: 0 } : {}),
      ...options,
    });
    this.#auth = new HttpClientAuth(options);
  }

  /** @internal Opens the TLS connection and authenticates it before handing it to the request. */
  override createConnection(
    options: RequestOptions,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options) as TLSSocket;
    if (callback === undefined) throw new TypeError("NegotiateAgent.createConnection needs its callback");
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      socket.off("error", settle);
      if (error) socket.destroy();
      callback(error, socket);
    };
    socket.once("error", settle);
    socket.once("secureConnect", () => {
      this.#authenticate(socket, options).then(() => settle(null), settle);
    });
    return undefined;
  }

  async #authenticate(socket: TLSSocket, options: RequestOptions): Promise<void> {
    const host = String(options.host ?? options.hostname ?? "localhost");
    const port = Number(options.port ?? 443);
    const path = typeof options.path === "string" ? options.path : "/";
    const url = new URL(path, `https://${host.includes(":") ? `[${host}]` : host}:${port}`);
    const hostHeader = port === 443 ? url.hostname : `${url.hostname}:${port}`;
    const send = (authorization: string | null) =>
      socket.write(
        `HEAD ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${hostHeader}\r\n` +
          (authorization ? `Authorization: ${authorization}\r\n` : "") +
          "\r\n",
      );
    send(null);
    let head = await readHead(socket);
    if (head.status !== 401) return;
    const exchange = await this.#auth.start(
      url,
      head.headers.get(SERVER_HEADERS.challenge) ?? [],
      channelBindingsOf(socket),
    );
    if (exchange === null)
      throw AuthError.refused(
        "InitializeSecurityContext",
        SEC_E_INVALID_TOKEN,
        `the server offers no scheme this agent answers: ${(head.headers.get(SERVER_HEADERS.challenge) ?? []).join(", ")}`,
      );
    try {
      for (let header: string | null = exchange.header; ; ) {
        send(header);
        head = await readHead(socket);
        const values = head.headers.get(SERVER_HEADERS.challenge) ?? [];
        if (head.status !== 401) return await exchange.verify(values);
        header = await exchange.answer(values);
        if (header === null)
          throw AuthError.refused(
            "InitializeSecurityContext",
            SEC_E_LOGON_DENIED,
            `the server refused the ${exchange.package} authentication (401)`,
          );
      }
    } finally {
      await exchange.context.close();
    }
  }

  /** Closes the sockets and frees the credentials. */
  override destroy(): void {
    super.destroy();
    void this.#auth.close();
  }
}
