/**
 * `async-sspi demo` (what `npm start` runs): the asynchronous SSPI call flow end to end over
 * real TCP on loopback, in one process, with an in-memory development certificate.
 *
 * @module
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { createDevelopmentCertificate } from "../devcert/certificates.js";
import {
  ApplyControlToken,
  box,
  type CertContext,
  CredHandle,
  type CtxtHandle,
  FAILED,
  formatStatus,
  QueryContextAttributes,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SECBUFFER_TOKEN,
  SECPKG_ATTR_APPLICATION_PROTOCOL,
  SECPKG_ATTR_CIPHER_INFO,
  SECPKG_ATTR_REMOTE_CERT_CONTEXT,
  SECPKG_ATTR_SESSION_INFO,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  type SecHandle,
  SP_PROT_TLS1_2,
  SP_PROT_TLS1_3,
  SspiAcceptSecurityContextAsync,
  SspiAcquireCredentialsHandleAsync,
  SspiDeleteSecurityContextAsync,
  SspiFreeCredentialsHandleAsync,
  SspiGetLastErrorInfo,
  SspiInitializeSecurityContextAsync,
  secBuffer,
  secBufferDesc,
  shutdownToken,
} from "../index.js";
import { formatRecordTrace } from "../schannel/records/describe.js";
import { callAsync } from "./async-calls.js";
import { type HandshakeLeg, type HandshakeResult, runAsyncHandshake } from "./async-handshake.js";
import type { Command } from "./main.js";
import { RecordReader, sealRecord } from "./record-io.js";
import { ms, Trace } from "./trace.js";

class DemoFailure extends Error {
  constructor(
    readonly status: SECURITY_STATUS,
    message: string,
  ) {
    super(message);
  }
}

function check(status: SECURITY_STATUS, what: string, handle?: SecHandle): void {
  if (!FAILED(status)) return;
  const info = SspiGetLastErrorInfo(handle ?? null);
  throw new DemoFailure(status, `${what} failed: ${info?.message ?? formatStatus(status)}`);
}

export const demoCommand: Command = {
  summary: "run a TLS handshake through the async SSPI API over TCP on loopback (npm start)",
  usage: [
    "Usage: async-sspi demo [--json] [--no-color] [--tls1.2 | --tls1.3]",
    "",
    "Runs, in one process, a server that accepts with SspiAcceptSecurityContextAsync and a client",
    "that connects with SspiInitializeSecurityContextAsync over TCP on 127.0.0.1, using an",
    "in-memory ECDSA development certificate. Shows every call with its queueing and completion",
    "status, the TLS records in each token, the negotiated connection, EncryptMessage/",
    "DecryptMessage round trips, a resumed second connection, shutdown and cleanup.",
    "",
    "Options:",
    "  --json       print the trace as JSON",
    "  --no-color   no ANSI colours (the default when stdout is not a terminal)",
    "  --tls1.2     use TLS 1.2 only",
    "  --tls1.3     use TLS 1.3 only",
    "",
    "Examples:",
    "  npm start",
    "  async-sspi demo --tls1.2",
    "  async-sspi demo --json | jq .connection",
  ].join("\n"),
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        json: { type: "boolean" },
        "no-color": { type: "boolean" },
        "tls1.2": { type: "boolean" },
        "tls1.3": { type: "boolean" },
      },
    });
    const json = values.json === true;
    const trace = new Trace(
      !json,
      !json && !values["no-color"] && process.stdout.isTTY === true && !process.env.NO_COLOR,
    );
    const started = performance.now();
    try {
      const connection = await runDemo(
        trace,
        values["tls1.2"] ? "TLSv1.2" : values["tls1.3"] ? "TLSv1.3" : null,
      );
      const total = performance.now() - started;
      if (json)
        console.log(JSON.stringify({ ok: true, ms: total, connection, events: trace.events }, null, 2));
      else
        trace.line(
          `\n${trace.paint("green", "done")}: handshake, messages, resumption and shutdown completed in ${ms(total)}`,
        );
      return 0;
    } catch (err) {
      const status = err instanceof DemoFailure ? err.status : -1;
      const message = err instanceof Error ? err.message : String(err);
      if (json)
        console.log(
          JSON.stringify(
            { ok: false, status: formatStatus(status), error: message, events: trace.events },
            null,
            2,
          ),
        );
      else console.error(`\n${trace.paint("red", "failed")}: ${message}`);
      return 1;
    }
  },
};

async function runDemo(trace: Trace, only: "TLSv1.2" | "TLSv1.3" | null) {
  const { server: serverCert, ca } = await createDevelopmentCertificate();
  const disabled = only === "TLSv1.2" ? SP_PROT_TLS1_3 : only === "TLSv1.3" ? SP_PROT_TLS1_2 : 0;
  trace.line(trace.paint("bold", "async-sspi demo: the asynchronous SSPI call flow over TCP on 127.0.0.1"));
  trace.line(
    `development certificate ${serverCert.subject} (ECDSA P-256), SHA-256 ${serverCert.fingerprint256}`,
    {
      certificate: serverCert.subject,
      fingerprint256: serverCert.fingerprint256,
    },
  );

  trace.section("credentials");
  const serverCred = new CredHandle();
  const clientCred = new CredHandle();
  for (const [side, cred, use, auth] of [
    [
      "server",
      serverCred,
      SECPKG_CRED_INBOUND,
      {
        dwVersion: SCH_CREDENTIALS_VERSION,
        paCred: [{ certificate: serverCert.certificate, privateKey: serverCert.privateKey }],
        pTlsParameters: [{ rgstrAlpnIds: ["http/1.1"], grbitDisabledProtocols: disabled }],
      },
    ],
    [
      "client",
      clientCred,
      SECPKG_CRED_OUTBOUND,
      {
        dwVersion: SCH_CREDENTIALS_VERSION,
        hRootStore: [ca.certificate],
        pTlsParameters: [{ grbitDisabledProtocols: disabled }],
      },
    ],
  ] as const) {
    const r = await callAsync((ctx) =>
      SspiAcquireCredentialsHandleAsync(ctx, null, "Schannel", use, null, auth, null, null, cred, null),
    );
    trace.line(
      `  ${trace.side(side)} SspiAcquireCredentialsHandleAsync   queued ${trace.status(r.queued)} → ${r.wasPending ? "pending → " : ""}${trace.status(r.status)}  ${trace.paint("dim", ms(r.ms))}`,
      {
        side,
        call: "SspiAcquireCredentialsHandleAsync",
        queued: formatStatus(r.queued),
        completed: formatStatus(r.status),
        ms: r.ms,
      },
    );
    check(r.status, `${side} SspiAcquireCredentialsHandleAsync`);
  }

  const listener = createServer();
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const port = (listener.address() as AddressInfo).port;
  try {
    trace.section(`handshake 1 (client → 127.0.0.1:${port}, SNI localhost, ALPN h2,http/1.1)`);
    const first = await connectPair(trace, listener, port, serverCred, clientCred);
    const connection = describeConnection(trace, first.client.handle);

    trace.section("messages (EncryptMessage → TCP → DecryptMessage)");
    await exchange(
      trace,
      first,
      "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
    );

    trace.section("shutdown (ApplyControlToken(SCHANNEL_SHUTDOWN) → ISC/ASC → close_notify)");
    await shutdown(trace, first);

    trace.section("handshake 2 (same credentials: session resumption)");
    const second = await connectPair(trace, listener, port, serverCred, clientCred, true);
    const session = box<{ dwFlags: number }>({ dwFlags: 0 });
    check(
      QueryContextAttributes(second.client.handle, SECPKG_ATTR_SESSION_INFO, session as never),
      "QueryContextAttributes(SESSION_INFO)",
    );
    const resumed = (session.value.dwFlags & 1) !== 0;
    trace.line(
      `  resumed: ${resumed ? trace.paint("green", "yes") : "no"} (SECPKG_ATTR_SESSION_INFO.dwFlags = ${session.value.dwFlags})`,
      { resumed },
    );
    await exchange(trace, second, "ping", "pong");
    await shutdown(trace, second);

    trace.section("cleanup");
    for (const [side, handle] of [
      ["client", first.client.handle],
      ["server", first.server.handle],
      ["client", second.client.handle],
      ["server", second.server.handle],
    ] as const) {
      const r = await callAsync((ctx) => SspiDeleteSecurityContextAsync(ctx, handle));
      trace.line(
        `  ${trace.side(side)} SspiDeleteSecurityContextAsync    queued ${trace.status(r.queued)} → ${trace.status(r.status)}`,
        { side, call: "SspiDeleteSecurityContextAsync", completed: formatStatus(r.status) },
      );
      check(r.status, "SspiDeleteSecurityContextAsync");
    }
    for (const [side, cred] of [
      ["client", clientCred],
      ["server", serverCred],
    ] as const) {
      const r = await callAsync((ctx) => SspiFreeCredentialsHandleAsync(ctx, cred));
      trace.line(
        `  ${trace.side(side)} SspiFreeCredentialsHandleAsync    queued ${trace.status(r.queued)} → ${trace.status(r.status)}`,
        { side, call: "SspiFreeCredentialsHandleAsync", completed: formatStatus(r.status) },
      );
      check(r.status, "SspiFreeCredentialsHandleAsync");
    }
    return { ...connection, resumedSecondConnection: resumed };
  } finally {
    listener.close();
  }
}

interface Side {
  handle: CtxtHandle;
  socket: Socket;
  reader: RecordReader;
}

async function connectPair(
  trace: Trace,
  listener: ReturnType<typeof createServer>,
  port: number,
  serverCred: CredHandle,
  clientCred: CredHandle,
  quiet = false,
) {
  const accepted = once(listener, "connection") as Promise<[Socket]>;
  const clientSocket = connect(port, "127.0.0.1");
  await once(clientSocket, "connect");
  const [serverSocket] = await accepted;
  const onLeg = (leg: HandshakeLeg) => printLeg(trace, leg, quiet);
  const [client, server] = await Promise.all([
    runAsyncHandshake({
      role: "client",
      credential: clientCred,
      socket: clientSocket,
      target: "localhost",
      alpn: ["h2", "http/1.1"],
      onLeg,
    }),
    runAsyncHandshake({ role: "server", credential: serverCred, socket: serverSocket, onLeg }),
  ]);
  checkHandshake(client, "client");
  checkHandshake(server, "server");
  return {
    client: {
      handle: client.handle,
      socket: clientSocket,
      reader: new RecordReader(clientSocket, client.handle, client.leftover),
    },
    server: {
      handle: server.handle,
      socket: serverSocket,
      reader: new RecordReader(serverSocket, server.handle, server.leftover),
    },
  };
}

function checkHandshake(result: HandshakeResult, side: string): void {
  if (result.status !== SEC_E_OK)
    check(result.status === 0 ? -1 : result.status, `${side} handshake`, result.handle);
}

function printLeg(trace: Trace, leg: HandshakeLeg, quiet: boolean): void {
  const records = formatRecordTrace(leg.output);
  trace.line(
    `  ${trace.side(leg.side)} ${leg.call.padEnd(34)} queued ${trace.status(leg.queued)} → ${leg.wasPending ? "pending → " : ""}${trace.status(leg.completed)}  ${trace.paint("dim", ms(leg.ms))}`,
    {
      side: leg.side,
      call: leg.call,
      queued: formatStatus(leg.queued),
      pending: leg.wasPending,
      completed: formatStatus(leg.completed),
      ms: leg.ms,
      inputBytes: leg.input.byteLength,
      outputBytes: leg.output.byteLength,
      outputRecords: records,
      extra: leg.extra,
      missing: leg.missing,
    },
  );
  if (!quiet || leg.output.byteLength > 0) {
    const extra =
      leg.extra > 0 ? `, EXTRA ${leg.extra} B` : leg.missing > 0 ? `, MISSING ${leg.missing} B` : "";
    trace.line(
      trace.paint(
        "dim",
        `           in ${leg.input.byteLength} B${extra}; out ${leg.output.byteLength} B${records ? `: ${records}` : ""}`,
      ),
    );
  }
}

function describeConnection(trace: Trace, handle: CtxtHandle) {
  const cipher = box<{ szCipherSuite: string; szExchangeGroup: string; dwProtocol: number }>({
    szCipherSuite: "",
    szExchangeGroup: "",
    dwProtocol: 0,
  });
  check(
    QueryContextAttributes(handle, SECPKG_ATTR_CIPHER_INFO, cipher as never),
    "QueryContextAttributes(CIPHER_INFO)",
    handle,
  );
  const alpn = box<{ protocol: string | null }>({ protocol: null });
  check(
    QueryContextAttributes(handle, SECPKG_ATTR_APPLICATION_PROTOCOL, alpn as never),
    "QueryContextAttributes(APPLICATION_PROTOCOL)",
    handle,
  );
  const cert = box<CertContext | null>(null);
  check(
    QueryContextAttributes(handle, SECPKG_ATTR_REMOTE_CERT_CONTEXT, cert as never),
    "QueryContextAttributes(REMOTE_CERT_CONTEXT)",
    handle,
  );
  const protocol = (cipher.value.dwProtocol & 0x3000) !== 0 ? "TLSv1.3" : "TLSv1.2";
  const details = {
    protocol,
    cipherSuite: cipher.value.szCipherSuite,
    group: cipher.value.szExchangeGroup,
    alpn: alpn.value.protocol,
    serverCertificate: cert.value?.certificate.subject ?? null,
  };
  trace.section("connection (QueryContextAttributes on the client)");
  trace.line(
    `  protocol ${details.protocol}, cipher ${details.cipherSuite}, group ${details.group || "?"}, ALPN ${details.alpn ?? "none"}`,
  );
  trace.line(
    `  server certificate ${details.serverCertificate}, issued by ${cert.value?.certificate.issuer ?? "?"}`,
    { connection: details },
  );
  return details;
}

async function exchange(
  trace: Trace,
  pair: { client: Side; server: Side },
  request: string,
  response: string,
) {
  for (const [from, to, text] of [
    [pair.client, pair.server, request],
    [pair.server, pair.client, response],
  ] as const) {
    const fromSide = from === pair.client ? "client" : "server";
    const toSide = fromSide === "client" ? "server" : "client";
    const t0 = performance.now();
    const sealed = sealRecord(from.handle, new TextEncoder().encode(text));
    const sealMs = performance.now() - t0;
    check(sealed.status, "EncryptMessage", from.handle);
    from.socket.write(sealed.record);
    trace.line(
      `  ${trace.side(fromSide)} EncryptMessage   ${text.length} B → record ${sealed.record.byteLength} B  ${trace.status(sealed.status)}  ${trace.paint("dim", ms(sealMs))}`,
      {
        side: fromSide,
        call: "EncryptMessage",
        completed: formatStatus(sealed.status),
        plaintextBytes: text.length,
        recordBytes: sealed.record.byteLength,
        ms: sealMs,
      },
    );
    for (;;) {
      const t1 = performance.now();
      const got = await to.reader.next();
      if (got === null)
        throw new DemoFailure(-1, `${toSide}: the connection closed before the message arrived`);
      const openMs = performance.now() - t1;
      check(got.status, "DecryptMessage", to.handle);
      const shown = JSON.stringify(new TextDecoder().decode(got.plaintext)).slice(0, 40);
      trace.line(
        `  ${trace.side(toSide)} DecryptMessage   record ${got.recordLength} B → ${got.plaintext.byteLength} B ${got.plaintext.byteLength > 0 ? shown : "(post-handshake message: session ticket)"}  ${trace.status(got.status)}`,
        {
          side: toSide,
          call: "DecryptMessage",
          completed: formatStatus(got.status),
          recordBytes: got.recordLength,
          plaintextBytes: got.plaintext.byteLength,
          ms: openMs,
        },
      );
      if (got.plaintext.byteLength > 0) break;
    }
  }
}

async function shutdown(trace: Trace, pair: { client: Side; server: Side }) {
  for (const [from, to] of [
    [pair.client, pair.server],
    [pair.server, pair.client],
  ] as const) {
    const side = from === pair.client ? "client" : "server";
    const other = side === "client" ? "server" : "client";
    check(ApplyControlToken(from.handle, secBufferDesc(shutdownToken())), "ApplyControlToken", from.handle);
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
    const r = await callAsync((ctx) =>
      side === "client"
        ? SspiInitializeSecurityContextAsync(
            ctx,
            null,
            from.handle,
            "localhost",
            0x100,
            0,
            0,
            null,
            0,
            from.handle,
            out,
            box(0),
            null,
          )
        : SspiAcceptSecurityContextAsync(
            ctx,
            null,
            from.handle,
            null,
            0x10000 | 0x100,
            0,
            from.handle,
            out,
            box(0),
            null,
          ),
    );
    check(
      r.status,
      side === "client"
        ? "SspiInitializeSecurityContextAsync (shutdown)"
        : "SspiAcceptSecurityContextAsync (shutdown)",
      from.handle,
    );
    const token = out.pBuffers[0]!;
    const bytes = token.pvBuffer?.slice(0, token.cbBuffer) ?? new Uint8Array(0);
    from.socket.write(bytes);
    trace.line(
      `  ${trace.side(side)} ApplyControlToken(SCHANNEL_SHUTDOWN), ${side === "client" ? "ISC" : "ASC"} → ${trace.status(r.status)}, ${formatRecordTrace(bytes, { encrypted: true })}`,
      {
        side,
        call: "ApplyControlToken+Sspi*SecurityContextAsync",
        completed: formatStatus(r.status),
        outputBytes: bytes.byteLength,
      },
    );
    for (;;) {
      const got = await to.reader.next();
      if (got === null)
        throw new DemoFailure(-1, `${other}: the connection closed before close_notify arrived`);
      if (got.status === SEC_I_CONTEXT_EXPIRED) {
        trace.line(
          `  ${trace.side(other)} DecryptMessage   record ${got.recordLength} B → ${trace.status(got.status)} (close_notify)`,
          { side: other, call: "DecryptMessage", completed: formatStatus(got.status) },
        );
        break;
      }
      check(got.status, "DecryptMessage", to.handle);
    }
  }
  pair.client.reader.detach();
  pair.server.reader.detach();
  pair.client.socket.end();
  pair.server.socket.end();
}
