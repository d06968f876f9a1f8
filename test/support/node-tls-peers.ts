/**
 * Helpers for running our engines against Node's `tls` over loopback TCP: a Node TLS server that
 * records what happened, a Node TLS client, and record protection built from a handshake summary
 * to prove the exported secrets and sequence numbers with one application record each way.
 */
import { connect as netConnect, type Server, type Socket } from "node:net";
import {
  type ConnectionOptions,
  type TLSSocket,
  type TlsOptions,
  connect as tlsConnect,
  createServer as tlsCreateServer,
} from "node:tls";
import { cipherSuiteById } from "../../src/schannel/cipher-suites.js";
import type { HandshakeSummary } from "../../src/schannel/engine/engine-types.js";
import { splitRecords } from "../../src/schannel/records/record-header.js";
import type { EngineHost } from "../../src/service/engine-host.js";
import { type DriveResult, driveEngine, rawServer, SocketReader, withTimeout } from "./peers.js";
import {
  fromTls12KeyBlock,
  fromTls13TrafficSecret,
  type RecordProtection,
} from "./tls-sealing/record-protection.js";

/** Errors and sockets a Node TLS peer saw. */
export class PeerLog {
  errors: string[] = [];
  sockets: TLSSocket[] = [];
  received: Buffer[] = [];
  /** Set by a client at `'secureConnect'`. */
  secure = false;
  private waiters: Array<() => void> = [];

  note(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `predicate()` holds (bounded). */
  async until(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
    while (!predicate()) {
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), ms, what);
    }
  }

  error(e: Error & { code?: string }): void {
    this.errors.push(e.code ?? e.message);
    this.note();
  }
}

/** A Node TLS server on 127.0.0.1 that echoes application data. */
export async function nodeTlsServer(
  options: TlsOptions,
): Promise<{ server: Server; port: number; log: PeerLog }> {
  const log = new PeerLog();
  const server = tlsCreateServer(options, (socket) => {
    log.sockets.push(socket);
    socket.on("data", (d: Buffer) => {
      log.received.push(d);
      socket.write(d);
      log.note();
    });
    socket.on("error", (e) => log.error(e));
    log.note();
  });
  server.on("tlsClientError", (e) => log.error(e));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, log };
}

/** Closes a Node TLS server and its connections. */
export async function closeTlsServer(server: Server, log: PeerLog): Promise<void> {
  for (const s of log.sockets) s.destroy();
  (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Connects our client engine (context `contextId`) to `port` and runs the handshake. */
export async function clientEngineHandshake(
  host: EngineHost,
  contextId: number,
  port: number,
): Promise<DriveResult & { socket: Socket; reader: SocketReader }> {
  const socket = netConnect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const reader = new SocketReader(socket);
  const result = await withTimeout(
    driveEngine(host, contextId, reader, "client"),
    10_000,
    "client handshake",
  );
  return { ...result, socket, reader };
}

/** A raw TCP server that runs our server engine on each connection (contexts made by `makeContext`). */
export async function serverEngineListener(
  host: EngineHost,
  makeContext: () => Promise<number>,
): Promise<{
  server: Server;
  port: number;
  results: Array<Promise<DriveResult & { reader: SocketReader }>>;
}> {
  const results: Array<Promise<DriveResult & { reader: SocketReader }>> = [];
  const { server, port } = await rawServer((socket) => {
    socket.on("error", () => {});
    const reader = new SocketReader(socket);
    results.push(
      (async () => {
        const contextId = await makeContext();
        const r = await withTimeout(
          driveEngine(host, contextId, reader, "server"),
          10_000,
          "server handshake",
        );
        return { ...r, reader };
      })(),
    );
  });
  return { server, port, results };
}

/** A Node TLS client that records its errors and received data. */
export function nodeTlsClient(port: number, options: ConnectionOptions): { socket: TLSSocket; log: PeerLog } {
  const log = new PeerLog();
  const socket = tlsConnect({ port, host: "127.0.0.1", ...options });
  socket.on("error", (e) => log.error(e));
  socket.on("data", (d: Buffer) => {
    log.received.push(d);
    log.note();
  });
  socket.on("secureConnect", () => {
    log.secure = true;
    log.note();
  });
  return { socket, log };
}

/** Record protection for both directions from our side's handshake summary. */
export function protectionFrom(summary: HandshakeSummary): {
  read: RecordProtection;
  write: RecordProtection;
} {
  const suite = cipherSuiteById(summary.cipherSuite);
  if (suite === undefined) throw new Error(`unsupported suite ${summary.cipher}`);
  const s = summary.secrets!;
  if (summary.protocol === "TLSv1.3") {
    const ours = summary.role === "client" ? s.clientTrafficSecret0! : s.serverTrafficSecret0!;
    const theirs = summary.role === "client" ? s.serverTrafficSecret0! : s.clientTrafficSecret0!;
    return {
      read: fromTls13TrafficSecret(suite, theirs, BigInt(summary.readSequence)),
      write: fromTls13TrafficSecret(suite, ours, BigInt(summary.writeSequence)),
    };
  }
  return fromTls12KeyBlock(suite, s.masterSecret!, s.clientRandom, s.serverRandom, summary.role, {
    read: BigInt(summary.readSequence),
    write: BigInt(summary.writeSequence),
  });
}

/**
 * Reads records from `reader` (starting with `extra`), opening each with `read`, until an
 * application_data record arrives.
 *
 * @returns its plaintext, and the non-application records seen before it (raw).
 */
export async function readApplicationRecord(
  reader: SocketReader,
  read: RecordProtection,
): Promise<{ plaintext: Buffer; before: Uint8Array[] }> {
  const before: Uint8Array[] = [];
  for (;;) {
    const bytes = new Uint8Array(reader.available);
    const split = splitRecords(bytes);
    for (const r of split.records) {
      const record = bytes.subarray(r.offset, r.offset + r.length);
      reader.take(r.length);
      const opened = read.open(record);
      if (!opened.ok) throw new Error(`cannot open record: ${opened.reason}`);
      if (opened.contentType === 23) return { plaintext: Buffer.from(opened.plaintext), before };
      before.push(record.slice());
    }
    await reader.more(reader.available.length);
    if (reader.ended && reader.available.length === 0) throw new Error("peer closed before sending data");
  }
}
