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
 * Authenticates requests (`serve --auth`, e.g. `ntlm-auth.ts`): the user to show, or the
 * `WWW-Authenticate` value of a `401` to answer instead.
 */
export interface HttpAuthenticator {
  authorize(request: HttpRequest): { user: string } | { challenge: string };
}

/** What {@link HttpResponder.feed} produced. */
export interface HttpOutput {
  /** Response bytes to send, in order. */
  responses: Uint8Array[];
  /** True when the connection must close after these responses. */
  close: boolean;
  /** The requests answered (for the log). */
  requests: HttpRequest[];
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
export function connectionPage(details: ConnectionDetails, request: HttpRequest, user?: string): string {
  const cert = details.clientCertificate;
  const rows: Array<[string, string]> = [
    ...(user !== undefined ? ([["Authenticated user", user]] as Array<[string, string]>) : []),
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
 * Parses requests from a connection's plaintext and answers each with the connection page.
 * Bodies (`Content-Length`) are read and ignored; a chunked body, a malformed request or an
 * oversized head gets an error response and closes the connection.
 */
export class HttpResponder {
  #buffer: Buffer = Buffer.alloc(0);
  #skip = 0;
  #closed = false;

  constructor(
    private readonly details: ConnectionDetails,
    private readonly auth?: HttpAuthenticator,
  ) {}

  /** Whether a request has started arriving but is not complete (a response is owed). */
  get midRequest(): boolean {
    return this.#buffer.byteLength > 0 || this.#skip > 0;
  }

  /** Takes decrypted bytes; returns the responses they complete. */
  feed(chunk: Uint8Array): HttpOutput {
    const out: HttpOutput = { responses: [], close: false, requests: [] };
    if (this.#closed) return { ...out, close: true };
    this.#buffer = this.#buffer.byteLength === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#buffer.byteLength);
        this.#skip -= n;
        this.#buffer = this.#buffer.subarray(n);
        if (this.#skip > 0) break;
      }
      const end = this.#buffer.indexOf(HEAD_END);
      if (end < 0) {
        if (this.#buffer.byteLength > MAX_HEAD) this.#fail(out, "431 Request Header Fields Too Large");
        break;
      }
      const head = this.#buffer.subarray(0, end).toString("latin1");
      this.#buffer = this.#buffer.subarray(end + HEAD_END.byteLength);
      const request = parseHead(head);
      if (request === null) {
        this.#fail(out, "400 Bad Request");
        break;
      }
      if (request.headers.has("transfer-encoding")) {
        this.#fail(out, "501 Not Implemented");
        break;
      }
      const length = Number(request.headers.get("content-length") ?? "0");
      if (!Number.isSafeInteger(length) || length < 0) {
        this.#fail(out, "400 Bad Request");
        break;
      }
      this.#skip = length;
      const connection = request.headers.get("connection")?.toLowerCase() ?? "";
      const close =
        connection.includes("close") ||
        (request.version === "HTTP/1.0" && !connection.includes("keep-alive"));
      out.requests.push(request);
      out.responses.push(this.#answer(request, close));
      if (close) {
        this.#closed = true;
        out.close = true;
        break;
      }
    }
    if (this.#buffer.byteLength === 0) this.#buffer = Buffer.alloc(0);
    return out;
  }

  /** The connection page, or the authenticator's `401`. */
  #answer(request: HttpRequest, close: boolean): Uint8Array {
    const headOnly = request.method === "HEAD";
    const verdict = this.auth?.authorize(request);
    if (verdict && "challenge" in verdict) {
      const status = "401 Unauthorized";
      const body = `<!doctype html><title>${status}</title><h1>${status}</h1>\n`;
      return response(status, body, close, headOnly, [`WWW-Authenticate: ${verdict.challenge}`]);
    }
    return response("200 OK", connectionPage(this.details, request, verdict?.user), close, headOnly);
  }

  #fail(out: HttpOutput, status: string): void {
    this.#closed = true;
    out.close = true;
    out.responses.push(
      response(status, `<!doctype html><title>${status}</title><h1>${status}</h1>\n`, true, false),
    );
  }
}
