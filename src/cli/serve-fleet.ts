/**
 * `async-sspi serve` as a fleet member: `--ticket-keys redis://…` shares session ticket keys with
 * every other server using the same Redis (this machine's workers or other machines), and
 * `--workers N` runs N worker processes (`node:cluster`, one port) that share one certificate
 * and, without `--ticket-keys`, one ticket key made by the primary.
 *
 * In a worker, shutdown comes from the primary (one SIGINT/SIGTERM to the primary drains every
 * worker, a second one forces them), so the terminal's Ctrl+C, which reaches the whole process
 * group, counts once.
 *
 * @module
 */
import cluster, { type Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { TlsCertificate } from "../api/credential-options.js";
import {
  type RedisTicketKeys,
  type RedisTicketKeysOptions,
  redisTicketKeys,
} from "../api/ticket-keys/redis-ticket-keys.js";
import { createDevelopmentCertificate } from "../devcert/certificates.js";
import { caFromFlags, certificateFromFlags, type TlsFlagValues, UsageError } from "./tls-flags.js";

/** The `serve` options this file adds (spread into its `parseArgs` options). */
export const fleetFlags = {
  "ticket-keys": { type: "string" },
  "ticket-keys-ca": { type: "string", multiple: true },
  "ticket-rotation": { type: "string" },
  "ticket-grace": { type: "string" },
  workers: { type: "string" },
} as const;

/** Their lines of `serve --help`. */
export const fleetUsage = [
  "  --ticket-keys URL        share session ticket keys with every server using this Redis",
  "                           (redis://[:password@]host:port or rediss://…), so clients resume on any",
  "                           of them; Redis unreachable: this process's own keys until it returns",
  "  --ticket-keys-ca FILE    CA certificates (PEM) to verify a rediss:// server (default: system roots)",
  "  --ticket-rotation S      seconds a ticket key encrypts before the next one (default 3600)",
  "  --ticket-grace S         seconds a replaced key still decrypts (default: the rotation period)",
  "  --workers N              run N worker processes on the one port (node:cluster), sharing one",
  "                           certificate and (without --ticket-keys) one ticket key",
];

type FleetValues = { [K in keyof typeof fleetFlags]?: K extends "ticket-keys-ca" ? string[] : string };

/** What the primary gives each worker. */
interface WorkerSetup {
  kind: "serve-setup";
  /** PEM certificate and key (the development certificate), or null: the worker reads --cert/--key. */
  certificate: { certificate: string; privateKey: string } | null;
  /** Without --ticket-keys: the workers' shared 48-byte ticket key (base64). */
  ticketKey: string | null;
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`${flag}: "${text}" is not a number of seconds`);
  return value;
}

/** `--workers N`: the count, or null without the flag (and always null in a worker). */
export function workerCount(values: FleetValues): number | null {
  if (values.workers === undefined || cluster.isWorker) return null;
  const n = /^\d+$/.test(values.workers) ? Number(values.workers) : 0;
  if (!Number.isSafeInteger(n) || n < 1 || n > 256)
    throw new UsageError(`--workers: "${values.workers}" is not a count from 1 to 256`);
  return n;
}

/** The cluster worker's id, or undefined outside a cluster (for JSON log lines). */
export function workerId(): number | undefined {
  return cluster.worker?.id;
}

/**
 * `--ticket-keys` and its options, checked: the provider's options, or null without the flag.
 *
 * @throws {UsageError} for bad values.
 */
export function ticketKeyOptionsFromFlags(values: FleetValues): RedisTicketKeysOptions | null {
  const url = values["ticket-keys"];
  const rotationSeconds = seconds(values["ticket-rotation"], "--ticket-rotation");
  const graceSeconds = seconds(values["ticket-grace"], "--ticket-grace");
  if (url === undefined) {
    if (rotationSeconds !== undefined || graceSeconds !== undefined || values["ticket-keys-ca"] !== undefined)
      throw new UsageError("--ticket-rotation, --ticket-grace and --ticket-keys-ca need --ticket-keys");
    return null;
  }
  if (!/^rediss?:\/\/[^/]/.test(url))
    throw new UsageError(
      `--ticket-keys: "${url.replace(/\/\/[^@/]*@/, "//")}" is not a redis:// or rediss:// URL`,
    );
  const ca = caFromFlags(values["ticket-keys-ca"], "--ticket-keys-ca");
  return {
    url,
    ...(rotationSeconds !== undefined && { rotationSeconds }),
    ...(graceSeconds !== undefined && { graceSeconds }),
    ...(ca !== undefined && { tls: { ca: ca.map((c) => Buffer.from(c)) } }),
  };
}

/**
 * Connects the `--ticket-keys` provider. Never fails because Redis is unreachable (the provider
 * says so through `log`, once).
 *
 * @throws {UsageError} when ioredis is not installed or the URL is malformed.
 */
export async function openTicketKeys(
  options: RedisTicketKeysOptions,
  log: (message: string) => void,
): Promise<RedisTicketKeys> {
  try {
    return await redisTicketKeys({ ...options, log });
  } catch (error) {
    if (error instanceof TypeError || (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND")
      throw new UsageError(`--ticket-keys: ${(error as Error).message}`);
    throw error;
  }
}

/** In a worker: the certificate and ticket key the primary made (asked for once); null elsewhere. */
export async function setupFromPrimary(): Promise<{
  certificate: TlsCertificate | null;
  sessionTicketKeys: Uint8Array | null;
} | null> {
  if (!cluster.isWorker) return null;
  shutdownRequested(); // listening for the primary's word from now on
  const setup = await new Promise<WorkerSetup>((resolve) => {
    const onMessage = (message: WorkerSetup) => {
      if (message?.kind !== "serve-setup") return;
      process.off("message", onMessage);
      resolve(message);
    };
    process.on("message", onMessage);
    process.send!({ kind: "serve-setup?" });
  });
  return {
    certificate: setup.certificate,
    sessionTicketKeys:
      setup.ticketKey === null ? null : new Uint8Array(Buffer.from(setup.ticketKey, "base64")),
  };
}

/**
 * Resolves with the signal that asks this server to drain: SIGINT/SIGTERM, or in a worker the
 * primary's word. `onForce` runs on a second one; call the returned function once drained.
 */
export function shutdownRequested(): {
  signal: Promise<NodeJS.Signals>;
  onForce(force: () => void): () => void;
} {
  if (!cluster.isWorker) {
    return {
      signal: new Promise((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      }),
      onForce(force) {
        process.once("SIGINT", force);
        process.once("SIGTERM", force);
        return () => {
          process.off("SIGINT", force);
          process.off("SIGTERM", force);
        };
      },
    };
  }
  workerShutdown ??= fromPrimary();
  return workerShutdown;
}

type Shutdown = ReturnType<typeof shutdownRequested>;
/** A worker's shutdown, listened for from its start (a signal may come before it listens). */
let workerShutdown: Shutdown | undefined;

/** The primary decides when a worker drains: the process group's Ctrl+C reaches it too. */
function fromPrimary(): Shutdown {
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  const is = (kind: string, message: unknown): NodeJS.Signals | null => {
    const m = message as { kind?: string; signal?: NodeJS.Signals } | null;
    return m?.kind === kind ? (m.signal ?? "SIGTERM") : null;
  };
  return {
    signal: new Promise((resolve) => {
      const listener = (message: unknown) => {
        const signal = is("serve-shutdown", message);
        if (signal === null) return;
        process.off("message", listener);
        resolve(signal);
      };
      process.on("message", listener);
    }),
    onForce(force) {
      const listener = (message: unknown) => {
        if (is("serve-force", message)) force();
      };
      process.on("message", listener);
      return () => process.off("message", listener);
    },
  };
}

/** In a worker whose server has stopped (drained or failed to start): leave the cluster, so the process exits. */
export function leaveCluster(): void {
  if (cluster.isWorker && cluster.worker?.isConnected()) cluster.worker.disconnect();
}

/**
 * `--workers N`: the primary. Makes the certificate once (the development certificate unless
 * --cert/--key/--pfx, which each worker reads itself), starts N workers with the same arguments,
 * hands them the certificate, forwards SIGINT/SIGTERM (a second one forces), and exits when
 * every worker has: 0 when all drained cleanly.
 */
export async function runPrimary(
  values: TlsFlagValues & FleetValues & { "save-ca"?: string; json?: boolean },
  workers: number,
): Promise<number> {
  const say = (text: string, event: Record<string, unknown>) =>
    console.log(values.json ? JSON.stringify({ event: "cluster", ...event }) : text);
  let certificate: WorkerSetup["certificate"] = null;
  if (certificateFromFlags(values) === null) {
    const { server, ca } = await createDevelopmentCertificate();
    certificate = { certificate: server.certificate, privateKey: server.privateKey };
    if (values["save-ca"] !== undefined) {
      try {
        writeFileSync(values["save-ca"], ca.certificate);
      } catch (error) {
        throw new UsageError(
          `--save-ca ${values["save-ca"]}: cannot write the file (${(error as NodeJS.ErrnoException).code})`,
        );
      }
    }
    say(
      `development certificate ${server.subject} (SHA-256 ${server.fingerprint256}) for ${workers} workers, issued by ${ca.subject}${values["save-ca"] !== undefined ? `, saved to ${values["save-ca"]}` : " — pass --save-ca FILE to trust it"}`,
      { certificate: server.fingerprint256, workers },
    );
  } else if (values["save-ca"] !== undefined) {
    throw new UsageError("--save-ca writes the development CA: it does not apply with --cert/--pfx");
  }
  const setup: WorkerSetup = {
    kind: "serve-setup",
    certificate,
    ticketKey: values["ticket-keys"] === undefined ? randomBytes(48).toString("base64") : null,
  };

  const running = new Set<Worker>();
  /** Workers that asked for their setup: they listen for the primary's word from then on. */
  const listening = new Set<Worker>();
  let failed = false;
  let signals: NodeJS.Signals[] = [];
  const word = (signal: NodeJS.Signals, nth: number) => ({
    kind: nth === 0 ? "serve-shutdown" : "serve-force",
    signal,
  });
  const forward = (signal: NodeJS.Signals) => {
    signals = [...signals, signal];
    say(`${signal}: ${signals.length === 1 ? "draining" : "stopping"} ${running.size} worker(s)`, {
      signal,
      workers: running.size,
    });
    for (const worker of listening) worker.send(word(signal, signals.length - 1));
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const done = new Promise<void>((resolve) => {
    for (let i = 0; i < workers; i++) {
      const worker = cluster.fork();
      running.add(worker);
      worker.on("message", (message: { kind?: string }) => {
        if (message?.kind !== "serve-setup?") return;
        listening.add(worker);
        worker.send(setup);
        // Signals that came before this worker listened.
        for (const [nth, signal] of signals.entries()) worker.send(word(signal, nth));
      });
      worker.on("exit", (code, signal) => {
        running.delete(worker);
        listening.delete(worker);
        if (code !== 0) {
          failed = true;
          if (signals.length === 0)
            say(`worker ${worker.id} exited (${signal ?? `code ${code}`})`, {
              worker: worker.id,
              exit: signal ?? code,
            });
        }
        if (running.size === 0) resolve();
      });
    }
  });
  await done;
  process.off("SIGINT", forward);
  process.off("SIGTERM", forward);
  return failed ? 1 : 0;
}
