/**
 * `async-sspi serve`: a TLS server on the asynchronous SSPI. Each accepted socket becomes an
 * `SspiTlsStream` (the idiomatic API's Duplex over a Schannel server context) sharing one set of
 * credentials; the plaintext goes to an HTTP/1.1 responder (`--http`, the default) or back to
 * the client (`--echo`). One log line per connection; SIGINT/SIGTERM drain: stop accepting,
 * close_notify every connection, wait for them to close, exit 0.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import type { AddressInfo, Server, Socket } from "node:net";
import { parseArgs } from "node:util";
import type { TlsCertificate } from "../api/credential-options.js";
import { acquireTlsCredentials, type TlsCredentials } from "../api/credentials.js";
import { query } from "../api/tls-attributes.js";
import { createTlsServer, type TlsServer } from "../api/tls-server.js";
import type { SspiTlsStream } from "../api/tls-stream.js";
import { createDevelopmentCertificate } from "../devcert/certificates.js";
import { SECPKG_ATTR_CIPHER_INFO } from "../sspi/attributes.js";
import { SspiError } from "../sspi/sspi-error.js";
import { describeFailure, shortFailure } from "./failure-hints.js";
import { HttpAuth, httpAuthFlags, httpAuthUsage } from "./http-auth.js";
import { type ConnectionDetails, type HttpAnswer, HttpResponder } from "./http-responder.js";
import type { Command } from "./main.js";
import {
  alpnFromFlags,
  caFromFlags,
  certificateFromFlags,
  keyLogToFile,
  parsePort,
  tlsFlagOptions,
  UsageError,
  versionsFromFlags,
} from "./tls-flags.js";

const usage = [
  "Usage: async-sspi serve [options]",
  "",
  "A TLS server on the asynchronous SSPI (Schannel package). Every connection is accepted with",
  "AcceptSecurityContext through the async API and then served as a Node Duplex (SspiTlsStream).",
  "Logs one line per connection; SIGINT/SIGTERM send close_notify to every connection and exit 0.",
  "",
  "Options:",
  "  --port N                 port to listen on (default 8443; 0 picks a free one)",
  "  --host ADDR              address to listen on (default 127.0.0.1)",
  "  --cert FILE --key FILE   certificate (PEM chain or DER) and private key",
  "  --pfx FILE               PKCS#12 certificate and key instead (--passphrase PASS)",
  "                           default: a fresh in-memory development certificate for localhost",
  "  --save-ca FILE           write the development CA certificate (PEM) for clients to trust",
  "  --alpn IDS               ALPN ids to accept, comma-separated (default for --http: http/1.1)",
  "  --client-ca FILE         ask clients for a certificate and validate it against the CAs in FILE",
  "                           (PEM; repeatable). A client without one is refused: the Schannel",
  "                           package treats ASC_REQ_MUTUAL_AUTH as required (SEC_E_MUTUAL_AUTH_FAILED)",
  "  --require-client-cert    refuse clients that send no certificate (with the system roots",
  "                           unless --client-ca is given)",
  "  --tls1.2 | --tls1.3      allow only this TLS version",
  "  --keylog FILE            append NSS key-log lines (SSLKEYLOGFILE format, for Wireshark); the file is",
  "                           created 0600 (an existing one made 0600), a symbolic link is refused",
  "  --http                   answer every HTTP/1.1 request with a page of connection details (default)",
  "  --echo                   send every byte received back to the client",
  ...httpAuthUsage,
  "  --json                   log connections as JSON lines",
  "  --drain-timeout MS       on SIGINT/SIGTERM, wait this long for clients to close (default 5000)",
  "  --idle-timeout SECONDS   close_notify a connection idle this long after its handshake, then close it",
  "                           (default 120; 0: never). The handshake itself has 30 s",
  "  --max-connections N      connections at once (default 1024); more are closed at once, unanswered",
  "",
  "Examples:",
  "  async-sspi serve --save-ca ca.pem &",
  "  curl --cacert ca.pem https://localhost:8443/",
  "  async-sspi serve --echo --port 9000 --cert server.pem --key server.key",
  "  openssl s_client -connect 127.0.0.1:9000 -quiet",
  "  async-sspi serve --client-ca clients-ca.pem --require-client-cert --tls1.3",
  "  SSLKEYLOGFILE=keys.log: async-sspi serve --keylog keys.log (then open keys.log in Wireshark)",
  "  async-sspi serve --save-ca ca.pem --auth ntlm --ntlm-users users.txt --channel-binding allow &",
  "  curl --ntlm -u 'TESTDOM\\alice:alicepw' --cacert ca.pem https://localhost:8443/",
  "  async-sspi serve --save-ca ca.pem --auth negotiate --keytab http.keytab --channel-binding require &",
  "  kinit alice && async-sspi fetch https://localhost:8443/ --ca ca.pem --auth negotiate -v",
].join("\n");

/** One connection while it lives. */
interface Connection {
  id: number;
  socket: Socket;
  peer: string;
  started: number;
  stream: SspiTlsStream | null;
  details: ConnectionDetails | null;
  bytesIn: number;
  bytesOut: number;
  /** Why it closed, when known before 'close' (our decision or an error). */
  closing: string | null;
  /** HTTP: a request is being answered; end after the response. */
  endWhenIdle: boolean;
  http: HttpResponder | null;
  closed: Promise<void>;
  /** Logs the connection's line and resolves `closed`. */
  finish(status: string, options: ServeOptions): void;
}

interface ServeOptions {
  mode: "http" | "echo";
  json: boolean;
  credentials: TlsCredentials;
  requestClientCertificate: boolean;
  requireClientCertificate: boolean;
  drainTimeoutMs: number;
  /** 0: no idle timeout. */
  idleTimeoutMs: number;
  /** `--auth negotiate|ntlm`: authentication of every HTTP connection. */
  httpAuth: HttpAuth | null;
}

const HANDSHAKE_TIMEOUT_MS = 30_000;
/** After an idle connection's close_notify, how long the client has to answer before the socket is destroyed. */
const IDLE_CLOSE_GRACE_MS = 2_000;

export const serveCommand: Command = {
  summary: "run a TLS server (HTTPS page or echo) on the async SSPI API",
  usage,
  async run(args) {
    let values: ReturnType<typeof parse>["values"];
    try {
      values = parse(args).values;
    } catch (error) {
      console.error(
        `async-sspi serve: ${(error as Error).message}\nRun "async-sspi serve --help" for the options.`,
      );
      return 2;
    }
    try {
      return await serve(values);
    } catch (error) {
      if (error instanceof UsageError) {
        console.error(`async-sspi serve: ${error.message}`);
        return 2;
      }
      if (error instanceof SspiError) {
        console.error(`async-sspi serve: ${describeFailure(error, "server")}`);
        return 1;
      }
      throw error;
    }
  },
};

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      ...tlsFlagOptions,
      port: { type: "string", default: "8443" },
      host: { type: "string", default: "127.0.0.1" },
      "save-ca": { type: "string" },
      "client-ca": { type: "string", multiple: true },
      "require-client-cert": { type: "boolean" },
      http: { type: "boolean" },
      echo: { type: "boolean" },
      json: { type: "boolean" },
      "drain-timeout": { type: "string", default: "5000" },
      "idle-timeout": { type: "string", default: "120" },
      "max-connections": { type: "string", default: "1024" },
      ...httpAuthFlags,
    },
    strict: true,
    allowPositionals: false,
  });
}

async function serve(values: ReturnType<typeof parse>["values"]): Promise<number> {
  if (values.http && values.echo) throw new UsageError("--http and --echo exclude each other");
  const mode = values.echo ? "echo" : "http";
  const port = parsePort(values.port, "--port");
  const drainTimeoutMs = Number(values["drain-timeout"]);
  if (!Number.isSafeInteger(drainTimeoutMs) || drainTimeoutMs < 0)
    throw new UsageError(`--drain-timeout: "${values["drain-timeout"]}" is not a number of milliseconds`);
  const idleSeconds = /^\d+(\.\d+)?$/.test(values["idle-timeout"])
    ? Number(values["idle-timeout"])
    : Number.NaN;
  if (!Number.isFinite(idleSeconds))
    throw new UsageError(`--idle-timeout: "${values["idle-timeout"]}" is not a number of seconds (0: never)`);
  const maxConnections = /^\d+$/.test(values["max-connections"]) ? Number(values["max-connections"]) : 0;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1)
    throw new UsageError(`--max-connections: "${values["max-connections"]}" is not a count of 1 or more`);
  const clientCa = caFromFlags(values["client-ca"], "--client-ca");
  let certificate: TlsCertificate | null = certificateFromFlags(values);
  const versions = versionsFromFlags(values);
  const alpn = alpnFromFlags(values.alpn) ?? (mode === "http" ? ["http/1.1"] : undefined);
  const keyLog = keyLogToFile(values.keylog);
  const log = (text: string) => {
    if (!values.json) console.log(text);
  };
  if (mode === "echo" && values.auth !== undefined) throw new UsageError("--auth applies to --http");
  const httpAuth = await HttpAuth.fromFlags(values, log);

  const requestClientCertificate = clientCa !== undefined || values["require-client-cert"] === true;
  // Listen first: a port in use is reported before any certificate is generated.
  let credentialsReady!: (credentials: TlsCredentials) => void;
  const pendingCredentials = new Promise<TlsCredentials>((resolve) => {
    credentialsReady = resolve;
  });
  const connections = new Set<Connection>();
  const bySocket = new Map<Socket, Connection>();
  let options: ServeOptions | null = null;
  const listener = createTlsServer({
    credentials: pendingCredentials,
    requestClientCertificate,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    drain: (stream) => drainConnection(bySocket.get(stream.transportSocket as Socket), stream),
  });
  let nextId = 1;
  listener.on("connection", (socket: Socket) => {
    const c = newConnection(socket, nextId++);
    connections.add(c);
    bySocket.set(socket, c);
    c.closed.then(() => {
      connections.delete(c);
      bySocket.delete(socket);
    });
  });
  listener.on("tlsClientError", (error: unknown, socket: Socket) => {
    const c = bySocket.get(socket);
    if (c && options) handshakeFailed(c, error, options);
  });
  listener.on("secureConnection", (stream: SspiTlsStream) => {
    const c = bySocket.get(stream.transportSocket as Socket);
    if (c && options) serveConnection(c, stream, options);
  });
  listener.maxConnections = maxConnections;
  listener.on("drop", (dropped?: { remoteAddress?: string; remotePort?: number; remoteFamily?: string }) => {
    const peer = dropped?.remoteFamily === "IPv6" ? `[${dropped.remoteAddress}]` : dropped?.remoteAddress;
    const why = `refused: ${maxConnections} connections open (--max-connections)`;
    if (values.json)
      console.log(JSON.stringify({ event: "refused", peer: `${peer}:${dropped?.remotePort}`, status: why }));
    else console.log(`${new Date().toISOString()} ${peer}:${dropped?.remotePort} ${why}`);
  });
  try {
    await listen(listener, port, values.host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    console.error(
      `async-sspi serve: cannot listen on ${values.host}:${port}: ${code}${code === "EADDRINUSE" ? " — another process uses this port: pass --port N (0 picks a free one)" : ""}`,
    );
    return 1;
  }

  if (certificate === null) {
    const { server, ca } = await createDevelopmentCertificate();
    certificate = { certificate: server.certificate, privateKey: server.privateKey };
    if (values["save-ca"] !== undefined) {
      try {
        writeFileSync(values["save-ca"], ca.certificate);
      } catch (error) {
        listener.close();
        throw new UsageError(
          `--save-ca ${values["save-ca"]}: cannot write the file (${(error as NodeJS.ErrnoException).code})`,
        );
      }
    }
    log(`development certificate ${server.subject} (ECDSA P-256, DNS localhost, IP 127.0.0.1 and ::1)`);
    log(`  SHA-256 fingerprint ${server.fingerprint256}`);
    log(
      `  issued by ${ca.subject} (SHA-256 ${ca.fingerprint256})${values["save-ca"] !== undefined ? `, saved to ${values["save-ca"]}` : " — pass --save-ca FILE to trust it"}`,
    );
  } else if (values["save-ca"] !== undefined) {
    listener.close();
    throw new UsageError("--save-ca writes the development CA: it does not apply with --cert/--pfx");
  }

  let credentials: TlsCredentials;
  try {
    credentials = await acquireTlsCredentials({
      role: "server",
      certificates: [certificate],
      ...(alpn !== undefined && { alpn }),
      ...(versions !== undefined && { versions }),
      ...(clientCa !== undefined && { trustedRoots: clientCa }),
      ...(keyLog !== undefined && { keyLog }),
    });
  } catch (error) {
    listener.close();
    throw error;
  }
  options = {
    mode,
    json: values.json === true,
    credentials,
    requestClientCertificate,
    requireClientCertificate: values["require-client-cert"] === true,
    drainTimeoutMs,
    idleTimeoutMs: Math.round(idleSeconds * 1000),
    httpAuth,
  };
  credentialsReady(credentials);
  const address = listener.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const shown = ["127.0.0.1", "::1"].includes(address.address) ? "localhost" : hostForUrl;
  const announce = `listening on ${hostForUrl}:${address.port} (${mode}${versions ? `, ${versions[0]} only` : ""}${alpn ? `, ALPN ${alpn.join(",")}` : ""}${options.requestClientCertificate ? ", client certificate required" : ""})`;
  if (values.json)
    console.log(JSON.stringify({ event: "listening", host: address.address, port: address.port, mode }));
  else {
    console.log(announce);
    console.log(
      mode === "http"
        ? `  try: curl${values["save-ca"] ? ` --cacert ${values["save-ca"]}` : " --insecure"}${clientFlags("curl")} https://${shown}:${address.port}/`
        : `  try: openssl s_client -connect ${hostForUrl}:${address.port} -quiet${clientFlags("openssl")}`,
    );
    if (requestClientCertificate)
      console.log(
        `  (client.pem/client.key: a client certificate and key${clientCa !== undefined ? ` issued by a CA in ${values["client-ca"]!.join(", ")}` : ""})`,
      );
    console.log("  Ctrl+C (SIGINT) or SIGTERM: close_notify every connection and exit");
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  return drain(signal, listener, connections, options);

  /** The client-certificate flags of the printed `try:` command, when the server asks for one. */
  function clientFlags(tool: "curl" | "openssl"): string {
    if (!requestClientCertificate) return "";
    return tool === "curl" ? " --cert client.pem --key client.key" : " -cert client.pem -key client.key";
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Stops accepting, closes every connection with close_notify, waits for them (bounded). */
async function drain(
  signal: NodeJS.Signals,
  listener: TlsServer,
  connections: Set<Connection>,
  options: ServeOptions,
): Promise<number> {
  const say = (text: string, event: Record<string, unknown>) =>
    console.log(options.json ? JSON.stringify({ event: "shutdown", ...event }) : text);
  say(`${signal}: draining ${connections.size} connection(s)`, { signal, connections: connections.size });
  let forced = false;
  const force = () => {
    forced = true;
    for (const c of connections) {
      c.closing ??= "killed (second signal)";
      c.socket.destroy();
    }
  };
  process.once("SIGINT", force);
  process.once("SIGTERM", force);
  for (const c of connections) if (c.stream === null) c.closing ??= "server shutdown during the handshake";
  // close_notify now, or after the HTTP request in progress (drainConnection); handshakes are abandoned.
  const closedListener = new Promise<void>((resolve) => listener.close(() => resolve()));
  const pending = [...connections].map((c) => c.closed);
  const timer = setTimeout(() => {
    for (const c of connections) {
      c.closing = `${c.closing ?? "server shutdown"}: no close after ${options.drainTimeoutMs} ms, dropped`;
      c.socket.destroy();
    }
  }, options.drainTimeoutMs);
  await Promise.all(pending);
  clearTimeout(timer);
  await closedListener;
  await options.credentials.close();
  options.httpAuth?.close();
  process.off("SIGINT", force);
  process.off("SIGTERM", force);
  say("stopped", { stopped: true });
  return forced ? 1 : 0;
}

function logConnection(c: Connection, options: ServeOptions, status: string): void {
  const ms = performance.now() - c.started;
  const d = c.details;
  if (options.json) {
    console.log(
      JSON.stringify({
        event: "connection",
        id: c.id,
        peer: c.peer,
        protocol: d?.protocol ?? null,
        cipherSuite: d?.cipherSuite ?? null,
        group: d?.group ?? null,
        alpn: d?.alpn ?? null,
        resumed: d?.resumed ?? null,
        clientCertificate: d?.clientCertificate?.subject ?? null,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        ms: Math.round(ms),
        status,
      }),
    );
    return;
  }
  const when = new Date().toISOString();
  const tls = d
    ? `${d.protocol} ${d.cipherSuite} alpn=${d.alpn ?? "-"} resumed=${d.resumed ? "yes" : "no"}${d.clientCertificate ? ` client=${JSON.stringify(d.clientCertificate.subject)}` : ""}`
    : "handshake failed";
  console.log(
    `${when} #${c.id} ${c.peer} ${tls} in=${c.bytesIn}B out=${c.bytesOut}B ${Math.round(ms)}ms ${status}`,
  );
}

function detailsOf(stream: SspiTlsStream, peer: string): ConnectionDetails {
  const context = stream.context;
  const cipher = query<{ szExchangeGroup: string }>(context.handle, SECPKG_ATTR_CIPHER_INFO);
  const cert = context.peerCertificate;
  return {
    peer,
    protocol: context.protocol,
    cipherSuite: context.cipherSuite,
    group: cipher.szExchangeGroup || null,
    alpn: context.alpnProtocol,
    resumed: context.resumed,
    clientCertificate: cert
      ? {
          subject: cert.subject.replace(/\n/g, ", "),
          issuer: cert.issuer.replace(/\n/g, ", "),
          fingerprint256: cert.fingerprint256,
        }
      : null,
  };
}

function closingStatusOf(error: unknown): string {
  if (error instanceof SspiError) {
    // OpenSSL's reasons can span lines: keep the log to one line per connection.
    const reason = (error.reason ?? error.message).replace(/\s+/g, " ").trim();
    return `${shortFailure(error)}: ${reason}`;
  }
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ERR_TLS_TRUNCATED") return "truncated (TCP closed without close_notify)";
  if (e?.name === "AbortError") return "aborted";
  return e?.code ?? e?.message ?? String(error);
}

/** The record of one accepted socket, from its first byte to its log line. */
function newConnection(socket: Socket, id: number): Connection {
  let resolveClosed!: () => void;
  const c: Connection = {
    id,
    socket,
    peer: `${socket.remoteFamily === "IPv6" ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}`,
    started: performance.now(),
    stream: null,
    details: null,
    bytesIn: 0,
    bytesOut: 0,
    closing: null,
    endWhenIdle: false,
    http: null,
    closed: new Promise((resolve) => {
      resolveClosed = resolve;
    }),
    finish: () => {},
  };
  c.finish = (status, options) => {
    logConnection(c, options, status);
    resolveClosed();
  };
  return c;
}

/** A handshake that failed (the server's 'tlsClientError'): one log line once the socket closed. */
function handshakeFailed(c: Connection, error: unknown, options: ServeOptions): void {
  const timedOut = (error as { code?: unknown } | null)?.code === "ERR_TLS_HANDSHAKE_TIMEOUT";
  const status =
    c.closing ?? (timedOut ? `handshake timeout (${HANDSHAKE_TIMEOUT_MS} ms)` : closingStatusOf(error));
  if (c.socket.destroyed) c.finish(status, options);
  else c.socket.once("close", () => c.finish(status, options));
}

/** How the server's close() winds down one established connection: after the request in progress. */
function drainConnection(c: Connection | undefined, stream: SspiTlsStream): void {
  if (c === undefined) return void stream.end();
  c.closing ??= "server shutdown";
  if (c.http?.midRequest) c.endWhenIdle = true;
  else {
    stream.end();
    stream.resume();
  }
}

/** Serves one established connection; never throws (one bad client never affects another). */
function serveConnection(c: Connection, stream: SspiTlsStream, options: ServeOptions): void {
  const socket = c.socket;
  const finish = (status: string) => c.finish(status, options);
  c.stream = stream;
  let failure: string | null = null;
  stream.on("error", (error) => {
    failure ??= closingStatusOf(error);
  });
  let peerClosed = false;
  stream.on("end", () => {
    peerClosed = true;
  });
  stream.once("close", () => {
    if (!socket.destroyed) socket.destroy();
    const status =
      failure ??
      (stream.truncated
        ? "truncated (TCP closed without close_notify)"
        : peerClosed
          ? c.closing
            ? `${c.closing}: close_notify sent and answered`
            : "close_notify from client, answered"
          : (c.closing ?? "closed"));
    finish(status);
  });
  try {
    c.details = detailsOf(stream, c.peer);
  } catch (error) {
    failure = closingStatusOf(error);
    stream.destroy();
    return;
  }
  if (options.requireClientCertificate && c.details.clientCertificate === null) {
    c.closing = "refused: no client certificate (--require-client-cert)";
    stream.end();
    stream.resume();
    return;
  }
  if (c.closing !== null) {
    // A drain started during the handshake.
    stream.end();
    stream.resume();
    return;
  }
  closeWhenIdle(c, stream, options.idleTimeoutMs);
  if (options.mode === "echo") serveEcho(c, stream);
  else serveHttp(c, stream, options.httpAuth);
}

/**
 * `--idle-timeout`: a connection with no traffic either way for `ms` gets close_notify; a client
 * that does not answer within {@link IDLE_CLOSE_GRACE_MS} (or cannot be written to) is dropped.
 */
function closeWhenIdle(c: Connection, stream: SspiTlsStream, ms: number): void {
  if (ms <= 0) return;
  c.socket.setTimeout(ms, () => {
    c.socket.setTimeout(0);
    c.closing ??= `idle timeout (${ms / 1000} s)`;
    stream.end();
    stream.resume(); // read (and discard) until the client's close_notify
    setTimeout(() => c.socket.destroy(), IDLE_CLOSE_GRACE_MS).unref();
  });
}

function serveEcho(c: Connection, stream: SspiTlsStream): void {
  stream.on("data", (chunk: Buffer) => {
    c.bytesIn += chunk.byteLength;
    if (stream.writableEnded) return;
    c.bytesOut += chunk.byteLength;
    if (!stream.write(chunk)) {
      stream.pause();
      stream.once("drain", () => stream.resume());
    }
  });
}

/**
 * Most responses written to one connection and not yet accepted by its socket. With
 * `write()` returning false, this bounds what one client that never reads can make us hold.
 */
const MAX_QUEUED_RESPONSES = 16;

/**
 * HTTP/1.1 over one connection with backpressure: requests are answered one at a time, only
 * while the stream accepts writes (`write()` true) and fewer than {@link MAX_QUEUED_RESPONSES}
 * are unsent; otherwise reading pauses (which pauses the socket) until the client reads.
 */
function serveHttp(c: Connection, stream: SspiTlsStream, httpAuth: HttpAuth | null): void {
  const auth = httpAuth?.forConnection(stream.context.handle, `#${c.id} ${c.peer}`);
  if (auth) stream.once("close", () => auth.dispose());
  const http = new HttpResponder(c.details!, auth);
  c.http = http;
  let queued = 0;
  let blocked = false;
  let deciding = false; // an authenticator is deciding a request: answers stay in order
  const finish = (why: string | null) => {
    c.closing ??= why;
    stream.end();
    stream.resume(); // read (and discard) until the client's close_notify
  };
  /** Sends one answer; false when the connection closes after it. */
  const send = (answer: HttpAnswer): boolean => {
    queued++;
    c.bytesOut += answer.response.byteLength;
    stream.write(answer.response, () => {
      queued--;
      unblock();
    });
    if (answer.close) finish("HTTP Connection: close");
    return !answer.close;
  };
  const pump = () => {
    for (;;) {
      if (stream.writableEnded || stream.destroyed) return;
      if (queued >= MAX_QUEUED_RESPONSES || stream.writableNeedDrain) {
        blocked = true;
        stream.pause();
        return;
      }
      const answer = http.next();
      if (answer === null) break;
      if (answer instanceof Promise) {
        deciding = true;
        stream.pause();
        void answer.then((decided) => {
          deciding = false;
          if (stream.writableEnded || stream.destroyed) return;
          if (send(decided)) pump();
        });
        return;
      }
      if (!send(answer)) return;
    }
    if (c.endWhenIdle && !http.midRequest) return finish(null);
    stream.resume();
  };
  const unblock = () => {
    if (!blocked || deciding || queued >= MAX_QUEUED_RESPONSES || stream.writableNeedDrain) return;
    blocked = false;
    pump();
  };
  stream.on("drain", unblock);
  stream.on("data", (chunk: Buffer) => {
    c.bytesIn += chunk.byteLength;
    if (stream.writableEnded) return;
    http.push(chunk);
    if (!blocked && !deciding) pump();
  });
}
