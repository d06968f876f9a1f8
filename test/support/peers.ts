/**
 * Test peers that are not ours: Node's `tls` over real loopback TCP sockets and the `openssl`
 * binary (`s_server` / `s_client`) as subprocesses on 127.0.0.1, plus a driver that runs one of
 * our engines (through an EngineHost) over a raw TCP socket. Everything is bounded in time and
 * closed by the caller (`close()` / `kill()`).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineStepResult } from "../../src/schannel/engine/engine-types.js";
import type { EngineHost } from "../../src/service/engine-host.js";
import { SEC_E_INCOMPLETE_MESSAGE, SEC_I_CONTINUE_NEEDED } from "../../src/sspi/status.js";

/** Bounded wait: rejects after `ms` with `what`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** @returns a TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Collects the bytes a socket receives and lets a reader wait for more. */
export class SocketReader {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;

  constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Bytes received and not yet taken. */
  get available(): Buffer {
    return this.buffer;
  }

  /** Drops the first `n` bytes. */
  take(n: number): void {
    this.buffer = this.buffer.subarray(n);
  }

  /** Waits until more than `have` bytes are available or the socket ended. */
  async more(have: number, ms = 10_000): Promise<void> {
    if (this.buffer.length > have || this.ended) return;
    await withTimeout(
      new Promise<void>((resolve) => this.waiters.push(resolve)),
      ms,
      "waiting for peer bytes",
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Result of {@link driveEngine}. */
export interface DriveResult {
  /** The final step (SEC_E_OK or an error). */
  last: EngineStepResult;
  steps: EngineStepResult[];
  /** Received bytes the engine did not consume (post-handshake records). */
  extra: Buffer;
}

/**
 * Runs the handshake of engine context `contextId` over a TCP socket: calls `step` with the
 * accumulated input, writes every output token, honours EXTRA and INCOMPLETE like a Schannel
 * caller, until SEC_E_OK or an error (whose alert is written too).
 */
export async function driveEngine(
  host: EngineHost,
  contextId: number,
  reader: SocketReader,
  role: "client" | "server",
): Promise<DriveResult> {
  const steps: EngineStepResult[] = [];
  const write = (bytes: Uint8Array) => {
    if (bytes.length > 0 && !reader.socket.destroyed) reader.socket.write(bytes);
  };
  if (role === "client") {
    const first = await host.step(contextId, new Uint8Array(0));
    steps.push(first);
    write(first.output);
    if (first.status !== SEC_I_CONTINUE_NEEDED) return { last: first, steps, extra: Buffer.alloc(0) };
  }
  let needMore = true;
  for (;;) {
    if (needMore) {
      const have = reader.available.length;
      await reader.more(have);
      if (reader.available.length === have && reader.ended)
        throw new Error("peer closed during the handshake");
    }
    const input = new Uint8Array(reader.available);
    const r = await host.step(contextId, input);
    steps.push(r);
    write(r.output);
    if (r.status === SEC_E_INCOMPLETE_MESSAGE) {
      needMore = true;
      continue;
    }
    reader.take(r.consumed);
    if (r.status !== SEC_I_CONTINUE_NEEDED) return { last: r, steps, extra: Buffer.from(reader.available) };
    needMore = reader.available.length === 0;
  }
}

/** A TCP server whose connections are handed to `onConnection`. */
export async function rawServer(
  onConnection: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Closes a server and destroys its open connections. */
export async function closeServer(server: Server): Promise<void> {
  (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A temporary directory for PEM files handed to openssl. */
export class TempFiles {
  readonly dir = mkdtempSync(join(tmpdir(), "async-sspi-test-"));

  /** Writes `content` to `name` and returns the path. */
  write(name: string, content: string | Uint8Array): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A running openssl subprocess with its collected output. */
export interface OpensslProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  kill(): void;
}

/**
 * Spawns `openssl <args>` with a hard time limit (killed after `limitMs`).
 *
 * @returns the process handle; always call `kill()` in a `finally`.
 */
export function spawnOpenssl(args: string[], limitMs = 15_000): OpensslProcess {
  return spawnPeer("openssl", args, limitMs);
}

/**
 * Spawns any peer binary (`gnutls-serv`, `gnutls-cli`, …) the way {@link spawnOpenssl} does:
 * output collected as text, killed after `limitMs`.
 */
export function spawnPeer(command: string, args: string[], limitMs = 15_000): OpensslProcess {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (d: Buffer) => {
    text += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    text += d.toString();
  });
  child.stdin.on("error", () => {});
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    output: () => text,
    exited,
    kill: () => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Waits until `process.output()` matches `pattern` (or the process exits). */
export async function waitForOutput(process: OpensslProcess, pattern: RegExp, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!pattern.test(process.output())) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) break;
    if (Date.now() - started > ms)
      throw new Error(`openssl output never matched ${pattern}: ${process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
