/**
 * Support for the tests that spawn `async-sspi serve`/`connect` and real peers (curl, openssl,
 * chromium) as a user would: process helpers that never leave a process behind, binaries that
 * skip locally but fail under CI, and a running `serve` with its port and CA file.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import tls from "node:tls";
import { fileURLToPath } from "node:url";

/** The CLI entry point in dist/. */
export const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** A spawned process with its output collected. */
export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process has exited. */
  exited: Promise<number | string>;
}

/** Spawns `command` with piped stdio; collect its output as text. */
export function spawnProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Spawned {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  child.stdin!.on("error", () => {}); // a peer that exits early closes its stdin
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Spawns the CLI (`node dist/src/cli/main.js …`). */
export function spawnCli(args: string[]): Spawned {
  return spawnProcess(process.execPath, [cli, ...args], { ...process.env, NO_COLOR: "1" });
}

/** Kills a process that is still running (SIGKILL) and waits for it to exit. */
export async function kill(p: Spawned | null | undefined): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await p.exited;
}

/** Waits until `read()` matches `pattern` (polling), or throws after `timeoutMs` with what was read. */
export async function waitFor(
  read: () => string,
  pattern: RegExp,
  timeoutMs = 20_000,
  what = "output",
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${pattern} in ${what}:\n${read().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits for the process to exit, or throws after `timeoutMs`. */
export async function exitOf(p: Spawned, timeoutMs = 20_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`process did not exit in ${timeoutMs} ms:\n${p.stdout()}\n${p.stderr()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a process to completion with `input` on stdin (bounded by `timeoutMs`, then killed). */
export async function runProcess(
  command: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnProcess(command, args, options.env);
  try {
    p.child.stdin!.end(options.input ?? "");
    const code = await exitOf(p, options.timeoutMs ?? 30_000);
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  } finally {
    await kill(p);
  }
}

/**
 * Whether `binary` is installed. When it is not, the test is skipped with a clear reason —
 * except under CI (`CI=true`), where a missing binary fails the test.
 */
export function requireBinary(t: TestContext, binary: string, install: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).status === 0;
  if (found) return true;
  const reason = `${binary} is not installed (${install})`;
  if (process.env.CI === "true") throw new Error(`${reason}: required under CI`);
  t.skip(reason);
  return false;
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "async-sspi-cli-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A running `async-sspi serve` on a free port with the development certificate. */
export interface RunningServe extends Spawned {
  port: number;
  /** The development CA (PEM file) clients trust. */
  caFile: string;
}

/**
 * Starts `async-sspi serve --port 0 --save-ca DIR/ca.pem …args` and waits until it listens.
 * Kill it with {@link kill} in `finally`.
 */
export async function startServe(args: string[], dir: string): Promise<RunningServe> {
  const caFile = join(dir, "dev-ca.pem");
  const withCa = args.includes("--cert") || args.includes("--pfx") ? [] : ["--save-ca", caFile];
  const p = spawnCli(["serve", "--port", "0", ...withCa, ...args]);
  try {
    const exited = p.exited.then((code) => {
      throw new Error(`serve exited with ${code} before listening`);
    });
    exited.catch(() => {}); // after a successful start, the exit comes from kill()
    const match = await Promise.race([
      waitFor(p.stdout, /listening on [^\s]+:(\d+)/, 30_000, "serve's output"),
      exited,
    ]);
    return { ...p, port: Number(match[1]), caFile };
  } catch (error) {
    await kill(p);
    throw new Error(`${(error as Error).message}\nstderr:\n${p.stderr()}`);
  }
}

/** The resident set size of process `pid` in bytes (Linux `/proc`). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/** Options of a Node `tls` client that trusts a running `serve`'s development CA. */
export function serveClientOptions(serve: RunningServe): tls.ConnectionOptions {
  return {
    host: "127.0.0.1",
    port: serve.port,
    servername: "localhost",
    ca: readFileSync(serve.caFile),
  };
}

/**
 * One HTTPS GET to a running `serve` with Node's `tls` (a fresh connection, `Connection: close`),
 * bounded by `timeoutMs`.
 *
 * @returns the whole response (head and body).
 */
export async function getPage(serve: RunningServe, timeoutMs = 10_000): Promise<string> {
  const socket = tls.connect(serveClientOptions(serve));
  const parts: Buffer[] = [];
  socket.on("data", (d: Buffer) => parts.push(d));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await once(socket, "secureConnect");
        socket.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        await once(socket, "end");
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return Buffer.concat(parts).toString("utf8");
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
