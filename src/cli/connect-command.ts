/**
 * `async-sspi connect HOST:PORT`: a TLS client in the manner of `openssl s_client`, on the
 * asynchronous SSPI. It acquires credentials with `SspiAcquireCredentialsHandleAsync`, runs the
 * handshake with `SspiInitializeSecurityContextAsync` (trace on stderr: each call, its statuses,
 * the TLS records in each token), prints the connection and the server's chain, optionally
 * reconnects to show session resumption, then pipes stdin to the server (EncryptMessage) and
 * the server's plaintext (DecryptMessage) to stdout. The end of stdin sends close_notify.
 *
 * @module
 */
import { once } from "node:events";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { schCredentials } from "../api/credential-options.js";
import {
  alpnProtocolOf,
  certificateCheckOf,
  cipherSuiteOf,
  protocolOf,
  query,
  resumedOf,
} from "../api/tls-attributes.js";
import {
  type CertContext,
  CredHandle,
  type CtxtHandle,
  formatStatus,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_INCOMPLETE_CREDENTIALS,
  SEC_I_RENEGOTIATE,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  SspiAcquireCredentialsHandleAsync,
  SspiDeleteSecurityContextAsync,
  type SspiErrorInfo,
  SspiFreeCredentialsHandleAsync,
  SspiGetLastErrorInfo,
  statusName,
} from "../index.js";
import { formatRecordTrace } from "../schannel/records/describe.js";
import { callAsync, clientCloseNotify, clientToken } from "./async-calls.js";
import { type HandshakeLeg, runAsyncHandshake } from "./async-handshake.js";
import { describeFailure, hintFor } from "./failure-hints.js";
import type { Command } from "./main.js";
import { type Decrypted, RecordReader, sealRecord } from "./record-io.js";
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
import { ms, Trace, type TraceEvent } from "./trace.js";

const usage = [
  "Usage: async-sspi connect HOST[:PORT] [options]",
  "",
  "A TLS client on the asynchronous SSPI, like openssl s_client: prints the handshake trace",
  "(every SspiInitializeSecurityContextAsync call, its statuses, the TLS records in each token),",
  "the negotiated connection and the server's certificate chain on stderr, then sends stdin to",
  "the server and writes the server's plaintext to stdout. The end of stdin sends close_notify;",
  "the command exits when the server has closed too. PORT defaults to 443. Exit status 1 when the",
  'connection failed or ended without the server\'s close_notify ("truncated": the data may be cut short).',
  "",
  "Options:",
  "  --servername NAME        name to send (SNI) and to check the certificate against (default: HOST)",
  "  --ca FILE                trust the CA certificates in FILE (PEM; repeatable) instead of the system roots",
  "  --insecure               do not validate the server's certificate (manual validation): print the",
  "                           chain and why validation would have failed",
  "  --alpn IDS               ALPN ids to offer, comma-separated (e.g. h2,http/1.1)",
  "  --cert FILE --key FILE   client certificate and key (or --pfx FILE [--passphrase PASS])",
  "  --tls1.2 | --tls1.3      allow only this TLS version",
  "  --keylog FILE            append NSS key-log lines (SSLKEYLOGFILE format, for Wireshark); the file is",
  "                           created 0600 (an existing one made 0600), a symbolic link is refused",
  "  --reconnect N            after the first handshake, reconnect N times with the same credentials",
  "                           (shows session resumption); stdin goes over the last connection",
  "  --timeout SECONDS        give up when the TCP connection or the TLS handshake takes longer (default 10)",
  "  --json                   print one JSON document on stdout at the end (trace, connections,",
  "                           the server's plaintext as text) instead of the plaintext",
  "  --no-color               no ANSI colours (the default when stderr is not a terminal)",
  "",
  "Examples:",
  '  printf "GET / HTTP/1.1\\r\\nHost: example.com\\r\\nConnection: close\\r\\n\\r\\n" | async-sspi connect example.com:443',
  "  async-sspi connect localhost:8443 --ca ca.pem --alpn http/1.1 --reconnect 2 < /dev/null",
  "  async-sspi connect 10.0.0.5:443 --servername intranet.test --insecure < /dev/null",
  "  async-sspi connect localhost:4433 --cert client.pem --key client.key --tls1.3",
].join("\n");

/** A trace on stderr, so stdout carries exactly the server's plaintext. */
class StderrTrace extends Trace {
  constructor(
    private readonly enabled: boolean,
    colour: boolean,
  ) {
    super(false, colour);
  }

  override section(title: string): void {
    this.events.push({ section: title });
    if (this.enabled) process.stderr.write(`\n${this.paint("bold", title)}\n`);
  }

  override line(text: string, event?: TraceEvent): void {
    if (event) this.events.push(event);
    if (this.enabled) process.stderr.write(`${text}\n`);
  }
}

/** A failure that ends the command: printed as `STATUS: advice`, exit 1. */
class ConnectFailure extends Error {
  constructor(
    message: string,
    readonly status: SECURITY_STATUS | null,
  ) {
    super(message);
  }
}

interface Target {
  host: string;
  port: number;
}

/** `HOST`, `HOST:PORT`, `[IPv6]:PORT`, or a bare IPv6 address. */
function parseTarget(text: string): Target {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: parsePort(bracketed[2] ?? "443", "HOST:PORT") };
  if (isIP(text) === 6) return { host: text, port: 443 };
  const colon = text.lastIndexOf(":");
  if (colon < 0) return { host: text, port: 443 };
  const host = text.slice(0, colon);
  if (host.length === 0) throw new UsageError(`"${text}": the host is missing (HOST:PORT)`);
  return { host, port: parsePort(text.slice(colon + 1), "HOST:PORT") };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      ...tlsFlagOptions,
      servername: { type: "string" },
      ca: { type: "string", multiple: true },
      insecure: { type: "boolean" },
      reconnect: { type: "string", default: "0" },
      timeout: { type: "string", default: "10" },
      json: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
    strict: true,
    allowPositionals: true,
  });
}

/** What one connection negotiated. */
interface ConnectionSummary {
  protocol: string;
  cipherSuite: string;
  group: string | null;
  alpn: string | null;
  resumed: boolean;
  certificateCheck: { status: string; verifyError: string | null } | null;
  chain: Array<{
    subject: string;
    issuer: string;
    validFrom: string;
    validTo: string;
    fingerprint256: string;
  }>;
}

export const connectCommand: Command = {
  summary: "connect to a TLS server like openssl s_client, with the async SSPI handshake trace",
  usage,
  async run(args) {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(args);
      if (parsed.positionals.length !== 1) throw new UsageError("give exactly one HOST:PORT");
    } catch (error) {
      console.error(
        `async-sspi connect: ${(error as Error).message}\nRun "async-sspi connect --help" for the options.`,
      );
      return 2;
    }
    const json = parsed.values.json === true;
    const colour =
      !json && !parsed.values["no-color"] && process.stderr.isTTY === true && !process.env.NO_COLOR;
    const trace = new StderrTrace(!json, colour);
    const report: Record<string, unknown> = {};
    let code: number;
    try {
      code = await connectAndPipe(parsed.positionals[0]!, parsed.values, trace, report);
    } catch (error) {
      if (error instanceof UsageError) {
        console.error(`async-sspi connect: ${error.message}`);
        return 2;
      }
      if (!(error instanceof ConnectFailure)) throw error;
      if (json) {
        console.log(
          JSON.stringify(
            {
              ok: false,
              status: error.status === null ? null : (statusName(error.status) ?? formatStatus(error.status)),
              error: error.message,
              ...report,
              events: trace.events,
            },
            null,
            2,
          ),
        );
      } else console.error(`${trace.paint("red", "error")}: ${error.message}`);
      return 1;
    }
    if (json) console.log(JSON.stringify({ ok: code === 0, ...report, events: trace.events }, null, 2));
    return code;
  },
};

async function connectAndPipe(
  targetText: string,
  values: ReturnType<typeof parse>["values"],
  trace: StderrTrace,
  report: Record<string, unknown>,
): Promise<number> {
  const target = parseTarget(targetText);
  const serverName = values.servername ?? target.host;
  const reconnects = Number(values.reconnect);
  if (!Number.isSafeInteger(reconnects) || reconnects < 0 || reconnects > 100)
    throw new UsageError(`--reconnect: "${values.reconnect}" is not a count from 0 to 100`);
  const certificate = certificateFromFlags(values);
  const trustedRoots = caFromFlags(values.ca, "--ca");
  const versions = versionsFromFlags(values);
  const alpn = alpnFromFlags(values.alpn);
  const keyLog = keyLogToFile(values.keylog);
  const insecure = values.insecure === true;
  const timeoutSeconds = /^\d+(\.\d+)?$/.test(values.timeout) ? Number(values.timeout) : Number.NaN;
  if (!(timeoutSeconds > 0))
    throw new UsageError(`--timeout: "${values.timeout}" is not a number of seconds above 0`);
  const timeoutMs = Math.round(timeoutSeconds * 1000);
  report.target = { host: target.host, port: target.port, serverName };

  const mapped = schCredentials({
    role: "client",
    ...(certificate && { certificates: [certificate] }),
    ...(trustedRoots && { trustedRoots }),
    ...(versions && { versions }),
    ...(keyLog && { keyLog }),
  });
  if ("error" in mapped) throw new UsageError(mapped.error);

  trace.line(
    trace.paint(
      "bold",
      `async-sspi connect ${target.host}:${target.port} (server name ${serverName}${alpn ? `, ALPN ${alpn.join(",")}` : ""}${versions ? `, ${versions[0]} only` : ""}${insecure ? ", --insecure" : ""})`,
    ),
  );
  trace.section("credentials");
  const credential = new CredHandle();
  const acquired = await callAsync((ctx) =>
    SspiAcquireCredentialsHandleAsync(
      ctx,
      null,
      "Schannel",
      SECPKG_CRED_OUTBOUND,
      null,
      mapped.authData,
      null,
      null,
      credential,
      null,
    ),
  );
  trace.line(
    `  ${trace.side("client")} SspiAcquireCredentialsHandleAsync  queued ${trace.status(acquired.queued)} → ${acquired.wasPending ? "pending → " : ""}${trace.status(acquired.status)}  ${trace.paint("dim", ms(acquired.ms))}`,
    {
      side: "client",
      call: "SspiAcquireCredentialsHandleAsync",
      queued: formatStatus(acquired.queued),
      completed: formatStatus(acquired.status),
      ms: acquired.ms,
    },
  );
  if (acquired.status !== SEC_E_OK) throw failure(SspiGetLastErrorInfo(credential), acquired.status);

  const connections: ConnectionSummary[] = [];
  report.connections = connections;
  try {
    for (let attempt = 0; attempt <= reconnects; attempt++) {
      const last = attempt === reconnects;
      trace.section(
        attempt === 0
          ? `handshake (TCP ${target.host}:${target.port})`
          : `reconnect ${attempt} of ${reconnects} (same credentials: the session should be resumed)`,
      );
      const socket = await openSocket(target, timeoutMs);
      let handle: CtxtHandle | null = null;
      let timedOut = false;
      const handshakeTimer = setTimeout(() => {
        timedOut = true;
        socket.destroy();
      }, timeoutMs);
      try {
        const result = await runAsyncHandshake({
          role: "client",
          credential,
          socket,
          target: serverName,
          ...(alpn && { alpn }),
          manualValidation: insecure,
          onLeg: (leg) => printLeg(trace, leg, attempt > 0),
        });
        clearTimeout(handshakeTimer);
        handle = result.handle;
        if (timedOut)
          throw new ConnectFailure(
            `no TLS handshake with ${target.host}:${target.port} within ${timeoutMs / 1000} s (--timeout) — is this a TLS port?`,
            null,
          );
        if (result.status !== SEC_E_OK) {
          const info = SspiGetLastErrorInfo(result.handle);
          const status =
            result.status < 0 || result.status === SEC_I_INCOMPLETE_CREDENTIALS
              ? result.status
              : SEC_E_INCOMPLETE_MESSAGE;
          throw failure(info?.status === result.status ? info : null, status, result.status);
        }
        const summary = summarize(result.handle);
        connections.push(summary);
        printConnection(trace, summary, attempt === 0, insecure);
        const reader = new Incoming(new RecordReader(socket, result.handle, result.leftover));
        if (!last) {
          // A full handshake's tickets come at once; a resumed one may bring none (the server lets the
          // session be reused): wait briefly, not 2 s per reconnection.
          if (summary.protocol === "TLSv1.3") await awaitTicket(trace, reader, summary.resumed ? 250 : 2000);
          await closeConnection(trace, socket, result.handle, serverName, reader);
        } else {
          return await pipeData(
            trace,
            socket,
            result.handle,
            serverName,
            reader,
            values.json === true,
            report,
          );
        }
      } finally {
        clearTimeout(handshakeTimer);
        socket.destroy();
        if (handle !== null) await callAsync((ctx) => SspiDeleteSecurityContextAsync(ctx, handle!));
      }
    }
    return 0;
  } finally {
    await callAsync((ctx) => SspiFreeCredentialsHandleAsync(ctx, credential));
  }
}

function failure(
  info: SspiErrorInfo | null,
  status: SECURITY_STATUS,
  reported: SECURITY_STATUS = status,
): ConnectFailure {
  const name = statusName(status) ?? formatStatus(status);
  const explained =
    info ??
    ({
      statusName: name,
      reason:
        reported !== status
          ? `the connection closed during the handshake (last status ${statusName(reported) ?? formatStatus(reported)})`
          : null,
      alertSent: null,
      alertReceived: null,
      message: `InitializeSecurityContext: ${formatStatus(status)}`,
    } satisfies Parameters<typeof describeFailure>[0]);
  return new ConnectFailure(describeFailure(explained, "client"), status);
}

async function openSocket(target: Target, timeoutMs: number): Promise<Socket> {
  const socket = netConnect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  const timer = setTimeout(
    () =>
      socket.destroy(
        Object.assign(new Error(`no TCP connection within ${timeoutMs / 1000} s (--timeout)`), {
          code: "ETIMEDOUT",
        }),
      ),
    timeoutMs,
  );
  try {
    await once(socket, "connect");
    clearTimeout(timer);
  } catch (error) {
    clearTimeout(timer);
    socket.destroy();
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    const hint =
      code === "ECONNREFUSED"
        ? " — nothing listens there: check HOST:PORT, or start a server (async-sspi serve)"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? " — the host name does not resolve"
          : code === "ETIMEDOUT"
            ? ` — no answer within ${timeoutMs / 1000} s (--timeout SECONDS)`
            : "";
    throw new ConnectFailure(`cannot connect to ${target.host}:${target.port}: ${code}${hint}`, null);
  }
  return socket;
}

function printLeg(trace: Trace, leg: HandshakeLeg, quiet: boolean): void {
  const records = formatRecordTrace(leg.output);
  trace.line(
    `  ${trace.side(leg.side)} ${leg.call} queued ${trace.status(leg.queued)} → ${leg.wasPending ? "pending → " : ""}${trace.status(leg.completed)}  ${trace.paint("dim", ms(leg.ms))}`,
    {
      side: leg.side,
      call: leg.call,
      queued: formatStatus(leg.queued),
      pending: leg.wasPending,
      completed: formatStatus(leg.completed),
      ms: leg.ms,
      inputBytes: leg.input.byteLength,
      inputRecords: formatRecordTrace(leg.input),
      outputBytes: leg.output.byteLength,
      outputRecords: records,
      extra: leg.extra,
      missing: leg.missing,
    },
  );
  if (quiet) return;
  const extra =
    leg.extra > 0 ? `, EXTRA ${leg.extra} B` : leg.missing > 0 ? `, MISSING ${leg.missing} B` : "";
  const input = leg.input.byteLength > 0 ? formatRecordTrace(leg.input) : "";
  trace.line(
    trace.paint("dim", `           in  ${leg.input.byteLength} B${extra}${input ? `: ${input}` : ""}`),
  );
  trace.line(trace.paint("dim", `           out ${leg.output.byteLength} B${records ? `: ${records}` : ""}`));
}

function summarize(handle: CtxtHandle): ConnectionSummary {
  const cipher = query<{ szExchangeGroup: string }>(handle, SECPKG_ATTR_CIPHER_INFO);
  let remote: CertContext | null = null;
  try {
    remote = query<CertContext | null>(handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT);
  } catch {
    // a resumed session may carry no certificate (SEC_E_NO_CREDENTIALS)
  }
  let check: ConnectionSummary["certificateCheck"] = null;
  try {
    const c = certificateCheckOf(handle);
    check = { status: c.statusName, verifyError: c.verifyError };
  } catch {
    // not every context has a check result (a server that sent no certificate)
  }
  return {
    protocol: protocolOf(handle),
    cipherSuite: cipherSuiteOf(handle),
    group: cipher.szExchangeGroup || null,
    alpn: alpnProtocolOf(handle),
    resumed: resumedOf(handle),
    certificateCheck: check,
    chain: (remote?.chain ?? []).map(({ certificate }) => ({
      subject: certificate.subject.replace(/\n/g, ", "),
      issuer: certificate.issuer.replace(/\n/g, ", "),
      validFrom: certificate.validFrom,
      validTo: certificate.validTo,
      fingerprint256: certificate.fingerprint256,
    })),
  };
}

function printConnection(trace: Trace, s: ConnectionSummary, full: boolean, insecure: boolean): void {
  const resumed = s.resumed ? trace.paint("green", "yes") : "no";
  if (!full) {
    trace.line(`  resumed: ${resumed} (${s.protocol}, ${s.cipherSuite})`, { resumed: s.resumed });
    return;
  }
  trace.section("connection");
  trace.line(
    `  protocol ${s.protocol}, cipher ${s.cipherSuite}, group ${s.group ?? "none"}, ALPN ${s.alpn ?? "none"}, resumed: ${resumed}`,
    { connection: s },
  );
  trace.line(`  server certificate chain (${s.chain.length}):`);
  s.chain.forEach((c, i) => {
    trace.line(`   ${i} s: ${c.subject}`);
    trace.line(`     i: ${c.issuer}`);
    trace.line(trace.paint("dim", `     valid ${c.validFrom} — ${c.validTo}, SHA-256 ${c.fingerprint256}`));
  });
  const check = s.certificateCheck;
  if (check === null) return;
  if (check.status === "SEC_E_OK") {
    trace.line(`  certificate check: ${trace.paint("green", "SEC_E_OK")} (chain and name valid)`);
    return;
  }
  const why = hintFor(
    { statusName: check.status, reason: null, alertSent: null, alertReceived: null, message: "" },
    "client",
  );
  trace.line(
    `  certificate check: ${trace.paint(insecure ? "yellow" : "red", check.status)}${check.verifyError ? ` (${check.verifyError})` : ""} — ${insecure ? "would have failed without --insecure" : "failed"}`,
  );
  // With --insecure already given, the advice is what makes the check pass: never "--insecure" again.
  const advice = insecure
    ? why?.replace(/ or --insecure\b.*$/, "").replace(/,? or pass --insecure.*$/, "")
    : why;
  if (advice) trace.line(`    ${check.status}: ${advice}`);
}

/** Reads records with optional deadlines, keeping a read that outlived its deadline for the next call. */
class Incoming {
  #inflight: Promise<Decrypted | null> | null = null;

  constructor(readonly reader: RecordReader) {}

  /** The next record's result, null at end of stream, or "timeout". */
  async next(timeoutMs?: number): Promise<Decrypted | null | "timeout"> {
    this.#inflight ??= this.reader.next();
    const read = this.#inflight;
    let timer: NodeJS.Timeout | undefined;
    const result =
      timeoutMs === undefined
        ? await read
        : await Promise.race([
            read,
            new Promise<"timeout">((resolve) => {
              timer = setTimeout(() => resolve("timeout"), timeoutMs);
            }),
          ]);
    clearTimeout(timer);
    if (result !== "timeout") this.#inflight = null;
    return result;
  }
}

/** TLS 1.3: tickets come after the handshake; read until one is in (bounded). */
async function awaitTicket(trace: Trace, reader: Incoming, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const left = deadline - performance.now();
    const got = left > 0 ? await reader.next(left) : "timeout";
    if (got === "timeout" || got === null) {
      trace.line(
        `  no session ticket arrived${got === null ? " (the server closed)" : ` within ${limitMs} ms`}${limitMs < 2000 ? " (resumed: the session stays usable)" : ""}`,
      );
      return;
    }
    trace.line(
      `  ${trace.side("client")} DecryptMessage record ${got.recordLength} B → ${trace.status(got.status)}${got.status === SEC_E_OK && got.plaintext.byteLength === 0 ? " (NewSessionTicket)" : ""}`,
      {
        side: "client",
        call: "DecryptMessage",
        completed: formatStatus(got.status),
        recordBytes: got.recordLength,
      },
    );
    if (got.status !== SEC_E_OK) return;
    if (got.plaintext.byteLength === 0) return;
  }
}

/** Sends close_notify, waits (bounded) for the server's, ends the socket. */
async function closeConnection(
  trace: Trace,
  socket: Socket,
  handle: CtxtHandle,
  serverName: string,
  reader: Incoming,
): Promise<void> {
  const closing = await clientCloseNotify(handle, serverName);
  if (closing.token.byteLength > 0 && !socket.destroyed) socket.write(closing.token);
  trace.line(
    `  ${trace.side("client")} ApplyControlToken(SCHANNEL_SHUTDOWN), SspiInitializeSecurityContextAsync → ${trace.status(closing.status)}, ${formatRecordTrace(closing.token, { encrypted: true })}`,
    { side: "client", call: "close_notify", completed: formatStatus(closing.status) },
  );
  const deadline = performance.now() + 2000;
  for (;;) {
    const left = deadline - performance.now();
    const got = left > 0 ? await reader.next(left) : "timeout";
    if (got === "timeout" || got === null || got.status !== SEC_E_OK) {
      if (got !== "timeout" && got !== null && got.status === SEC_I_CONTEXT_EXPIRED)
        trace.line(`  ${trace.side("server")} close_notify received`);
      break;
    }
  }
  reader.reader.detach();
  socket.end();
}

/**
 * What the end of the connection without the server's close_notify means: the data received
 * may have been cut short (by an attacker who can close TCP, or a careless server).
 */
function truncation(pendingBytes: number, closeNotifySent: boolean): string {
  const where =
    pendingBytes > 0
      ? `inside a TLS record (${pendingBytes} bytes of an incomplete record)`
      : "without the server's close_notify";
  return `truncated: the connection ended ${where}${closeNotifySent ? " after ours was sent" : ""}; the data received may be incomplete`;
}

/** The data phase: stdin → EncryptMessage → server; server → DecryptMessage → stdout. */
async function pipeData(
  trace: Trace,
  socket: Socket,
  handle: CtxtHandle,
  serverName: string,
  reader: Incoming,
  json: boolean,
  report: Record<string, unknown>,
): Promise<number> {
  trace.section("data (stdin → EncryptMessage → server; server → DecryptMessage → stdout)");
  const received: Uint8Array[] = [];
  let bytesSent = 0;
  let bytesReceived = 0;
  let closeNotifySent: Promise<void> | null = null;
  let sealFailure: string | null = null;
  const stdin = process.stdin;

  const sendCloseNotify = () => {
    closeNotifySent ??= clientCloseNotify(handle, serverName).then((r) => {
      if (r.token.byteLength > 0 && !socket.destroyed) socket.write(r.token);
      trace.line(`  ${trace.side("client")} close_notify sent (${trace.status(r.status)})`, {
        side: "client",
        call: "close_notify",
        completed: formatStatus(r.status),
      });
    });
    return closeNotifySent;
  };
  let stdinEnded = false;
  let endTimer: NodeJS.Timeout | undefined;
  const onData = (chunk: Buffer) => {
    if (closeNotifySent !== null) return;
    for (let offset = 0; offset < chunk.byteLength; offset += 16384) {
      const piece = chunk.subarray(offset, offset + 16384);
      const sealed = sealRecord(handle, piece);
      if (sealed.status !== SEC_E_OK) {
        sealFailure = SspiGetLastErrorInfo(handle)?.message ?? formatStatus(sealed.status);
        socket.destroy();
        return;
      }
      bytesSent += piece.byteLength;
      socket.write(sealed.record);
    }
  };
  const onEnd = () => {
    stdinEnded = true;
    trace.line("  stdin ended");
    void sendCloseNotify().then(() => {
      // Wait (bounded) for the server's close_notify, then give up.
      endTimer = setTimeout(() => socket.destroy(), 5000);
    });
  };
  const onStdoutError = () => socket.destroy(); // e.g. EPIPE: the reader of our output is gone
  process.stdout.on("error", onStdoutError);
  stdin.on("data", onData);
  stdin.once("end", onEnd);
  stdin.resume();

  let closedBy = "";
  let code = 0;
  try {
    for (;;) {
      const got = await reader.next();
      if (got === "timeout") continue;
      if (got === null) {
        code = 1;
        if (sealFailure !== null) closedBy = `EncryptMessage failed: ${sealFailure}`;
        else {
          closedBy = truncation(reader.reader.pendingBytes, closeNotifySent !== null);
          console.error(`${trace.paint("red", "error")}: ${closedBy}`);
        }
        break;
      }
      if (got.status === SEC_E_OK) {
        if (got.plaintext.byteLength === 0) continue; // a session ticket
        bytesReceived += got.plaintext.byteLength;
        if (json) received.push(got.plaintext);
        else process.stdout.write(got.plaintext);
        continue;
      }
      if (got.status === SEC_I_CONTEXT_EXPIRED) {
        trace.line(`  ${trace.side("server")} DecryptMessage → ${trace.status(got.status)} (close_notify)`);
        closedBy = stdinEnded ? "close_notify exchanged" : "the server sent close_notify";
        await sendCloseNotify();
        break;
      }
      if (got.status === SEC_I_RENEGOTIATE) {
        const answer = await clientToken(handle, serverName);
        if (answer.token.byteLength > 0) socket.write(answer.token);
        trace.line(
          `  ${trace.side("server")} DecryptMessage → ${trace.status(got.status)} (KeyUpdate requested), answered: ${trace.status(answer.status)}`,
        );
        continue;
      }
      const info = SspiGetLastErrorInfo(handle);
      closedBy = info?.message ?? formatStatus(got.status);
      code = 1;
      trace.line(`  ${trace.paint("red", "DecryptMessage failed")}: ${closedBy}`);
      // A TLS 1.3 server refusing the client certificate (or its absence) says so only after
      // the handshake: the advice is printed like a handshake failure's.
      if (info) console.error(describeFailure(info, "client"));
      break;
    }
  } finally {
    clearTimeout(endTimer);
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    process.stdout.off("error", onStdoutError);
    stdin.pause();
    stdin.destroy();
    reader.reader.detach();
    if (!socket.destroyed) socket.end();
  }
  trace.line(`  ${bytesSent} B sent, ${bytesReceived} B received; ${closedBy}`);
  report.data = {
    bytesSent,
    bytesReceived,
    closedBy,
    ...(json && { received: Buffer.concat(received).toString("utf8") }),
  };
  return code;
}

export type { ConnectionSummary };
