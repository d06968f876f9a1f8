/**
 * The small HTTP/1.1 responder of `async-sspi serve --http`: it parses requests from the
 * decrypted byte stream (keep-alive and pipelining included) and answers every one of them
 * with an HTML page showing the negotiated TLS connection.
 *
 * @module
 */

/** The negotiated connection, as the page and the log show it. */
export interface ConnectionDetails {
  peer: string;
  protocol: string;
  cipherSuite: string;
  group: string | null;
  alpn: string | null;
  resumed: boolean;
  clientCertificate: { subject: string; issuer: string; fingerprint256: string } | null;
}

/** One parsed request. */
export interface HttpRequest {
  method: string;
  target: string;
  version: string;
  headers: Map<string, string>;
}

/**
 * What an authenticator decided: the user and package to show (with the final token's
 * `WWW-Authenticate` value, if any), or the `WWW-Authenticate` value of a `401`.
 */
export type HttpAuthResult = { user: string; package: string; header: string | null } | { challenge: string };

/** Authenticates requests (`serve --auth`, `http-auth.ts`); asynchronous (SSPI steps). */
export interface HttpAuthenticator {
  authorize(request: HttpRequest): Promise<HttpAuthResult>;
}

/** The answer to one request (or to a malformed one). */
export interface HttpAnswer {
  /** The response bytes. */
  response: Uint8Array;
  /** True when the connection must close after this response. */
  close: boolean;
  /** The request answered (for the log), or null for an error response to a malformed one. */
  request: HttpRequest | null;
}

const MAX_HEAD = 16 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** The HTML page describing `details` and the request. */
export function connectionPage(
  details: ConnectionDetails,
  request: HttpRequest,
  auth?: { user: string; package: string },
): string {
  const cert = details.clientCertificate;
  const rows: Array<[string, string]> = [
    ...(auth !== undefined
      ? ([
          ["Authenticated user", auth.user],
          ["Authentication package", auth.package],
        ] as Array<[string, string]>)
      : []),
    ["Protocol", details.protocol],
    ["Cipher suite", details.cipherSuite],
    ["Key exchange group", details.group ?? "none"],
    ["ALPN", details.alpn ?? "none"],
    ["Resumed", details.resumed ? "yes" : "no"],
    [
      "Client certificate",
      cert ? `${cert.subject} (issued by ${cert.issuer}), SHA-256 ${cert.fingerprint256}` : "none",
    ],
    ["Peer", details.peer],
    ["Request", `${request.method} ${request.target} ${request.version}`],
    ["User agent", request.headers.get("user-agent") ?? "none"],
  ];
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>async-sspi serve</title>',
    "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}",
    "th{text-align:left;padding-right:2em;vertical-align:top}td{font-family:ui-monospace,monospace}</style>",
    "</head><body>",
    "<h1>Hello over TLS from async-sspi</h1>",
    "<p>This page was encrypted with EncryptMessage on a security context established through the asynchronous SSPI (Schannel package).</p>",
    "<h2>Connection details</h2>",
    "<table>",
    ...rows.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`),
    "</table>",
    "</body></html>",
    "",
  ].join("\n");
}

function response(
  status: string,
  body: string,
  close: boolean,
  headOnly: boolean,
  extraHeaders: string[] = [],
): Uint8Array {
  const bytes = Buffer.from(body, "utf8");
  const head = [
    `HTTP/1.1 ${status}`,
    ...extraHeaders,
    "Content-Type: text/html; charset=utf-8",
    `Content-Length: ${bytes.byteLength}`,
    "Cache-Control: no-store",
    "Server: async-sspi",
    `Connection: ${close ? "close" : "keep-alive"}`,
    "",
    "",
  ].join("\r\n");
  return headOnly ? Buffer.from(head) : Buffer.concat([Buffer.from(head), bytes]);
}

function parseHead(head: string): HttpRequest | null {
  const [requestLine, ...lines] = head.split("\r\n");
  const match = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(requestLine ?? "");
  if (!match) return null;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method: match[1]!, target: match[2]!, version: match[3]!, headers };
}

/**
 * Parses requests from a connection's plaintext and answers each with the connection page, one
 * request at a time: {@link push} buffers bytes, {@link next} answers the next complete request.
 * The caller asks for the next answer only when it can send it, so a client that pipelines
 * requests and never reads makes the caller stop reading instead of piling up responses.
 * Bodies (`Content-Length`) are read and ignored; a chunked body, a malformed request or an
 * oversized head gets an error response and closes the connection.
 */
export class HttpResponder {
  #buffer: Buffer = Buffer.alloc(0);
  #skip = 0;
  #closed = false;
  #deciding = false;

  constructor(
    private readonly details: ConnectionDetails,
    private readonly auth?: HttpAuthenticator,
  ) {}

  /** Whether bytes of a request are buffered and not answered yet (a response is owed). */
  get midRequest(): boolean {
    return this.#deciding || (!this.#closed && (this.#buffer.byteLength > 0 || this.#skip > 0));
  }

  /** Bytes received and not yet consumed by {@link next}. */
  get buffered(): number {
    return this.#buffer.byteLength;
  }

  /** Buffers decrypted bytes (ignored after a closing answer). */
  push(chunk: Uint8Array): void {
    if (this.#closed || chunk.byteLength === 0) return;
    this.#buffer = this.#buffer.byteLength === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
  }

  /**
   * Answers the next complete request in the buffer (a promise when an authenticator decides
   * it: ask for the next answer only after it settled).
   *
   * @returns the answer, or null when no complete request is buffered (or the connection is
   *   closing: an earlier answer had `close`).
   */
  next(): HttpAnswer | Promise<HttpAnswer> | null {
    if (this.#closed) return null;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, this.#buffer.byteLength);
      this.#skip -= n;
      this.#buffer = this.#buffer.subarray(n);
      if (this.#skip > 0) return null;
    }
    const end = this.#buffer.indexOf(HEAD_END);
    if (end < 0) {
      return this.#buffer.byteLength > MAX_HEAD ? this.#fail("431 Request Header Fields Too Large") : null;
    }
    const head = this.#buffer.subarray(0, end).toString("latin1");
    this.#buffer = this.#buffer.subarray(end + HEAD_END.byteLength);
    if (this.#buffer.byteLength === 0) this.#buffer = Buffer.alloc(0); // drop the consumed bytes
    const request = parseHead(head);
    if (request === null) return this.#fail("400 Bad Request");
    if (request.headers.has("transfer-encoding")) return this.#fail("501 Not Implemented");
    const length = Number(request.headers.get("content-length") ?? "0");
    if (!Number.isSafeInteger(length) || length < 0) return this.#fail("400 Bad Request");
    this.#skip = length;
    const connection = request.headers.get("connection")?.toLowerCase() ?? "";
    const close =
      connection.includes("close") || (request.version === "HTTP/1.0" && !connection.includes("keep-alive"));
    if (close) this.#closed = true;
    if (this.auth === undefined) return { response: this.#answer(request, close, null), close, request };
    this.#deciding = true;
    return this.auth.authorize(request).then((verdict) => {
      this.#deciding = false;
      return { response: this.#answer(request, close, verdict), close, request };
    });
  }

  /** The connection page, or the authenticator's `401`. */
  #answer(request: HttpRequest, close: boolean, verdict: HttpAuthResult | null): Uint8Array {
    const headOnly = request.method === "HEAD";
    if (verdict && "challenge" in verdict) {
      const status = "401 Unauthorized";
      const body = `<!doctype html><title>${status}</title><h1>${status}</h1>\n`;
      return response(status, body, close, headOnly, [`WWW-Authenticate: ${verdict.challenge}`]);
    }
    return response(
      "200 OK",
      connectionPage(this.details, request, verdict ?? undefined),
      close,
      headOnly,
      verdict?.header ? [`WWW-Authenticate: ${verdict.header}`] : [],
    );
  }

  #fail(status: string): HttpAnswer {
    this.#closed = true;
    return {
      response: response(status, `<!doctype html><title>${status}</title><h1>${status}</h1>\n`, true, false),
      close: true,
      request: null,
    };
  }
}
