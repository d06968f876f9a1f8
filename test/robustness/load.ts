/**
 * The soak and concurrency runs, shared by `load.test.ts` (short versions inside `npm test`) and
 * `soak-main.ts` (`npm run soak`). Both run SSPI clients against the SSPI echo server over
 * loopback TCP, with the async API (promises over the Sspi*Async entry points).
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  type CredHandle,
  configureSecurityService,
  handleStatistics,
  securityServiceConfiguration,
  promises as sspi,
} from "../../src/index.js";
import { acquire, pki, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND } from "../blocking/memory-handshake.js";
import { collectGarbage } from "../support/gc.js";
import {
  ABORT_STEPS,
  type AbortStep,
  type EchoServerStats,
  pool,
  prng,
  sspiClient,
  sspiEchoServer,
  VERSIONS,
  versionedAuth,
} from "./support.js";

export interface Credentials {
  server: CredHandle;
  clients: CredHandle[];
  free(): Promise<void>;
}

/** A server credential (TLS 1.2 and 1.3) and one client credential per version. */
export async function credentials(): Promise<Credentials> {
  const base = await pki();
  const server = await acquire("async", SECPKG_CRED_INBOUND, base.server);
  const clients: CredHandle[] = [];
  for (const v of VERSIONS)
    clients.push(await acquire("async", SECPKG_CRED_OUTBOUND, versionedAuth(base, v).client));
  return {
    server,
    clients,
    async free() {
      for (const c of [server, ...clients]) await sspi.FreeCredentialsHandle(c);
    },
  };
}

const LEAKABLE = new Set(["TCPSocketWrap", "TCPServerWrap", "Timeout", "Immediate"]);

/** Counts of the resources a leaked socket, server or timer shows up as. */
export function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (LEAKABLE.has(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

export interface SoakReport {
  requested: number;
  done: number;
  stoppedEarly: boolean;
  seconds: number;
  results: Record<string, number>;
  server: Omit<EchoServerStats, "statuses"> & { statuses: Record<string, number> };
  heapBefore: number;
  heapAfter: number;
  heapGrowth: number;
  rssBefore: number;
  rssAfter: number;
  rssGrowth: number;
  liveContextsAfter: number;
  liveContextsBaseline: number;
  resourcesBefore: Record<string, number>;
  resourcesAfter: Record<string, number>;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 50 && Object.keys(openResources()).some((k) => k.startsWith("TCPSocket")); i++)
    await new Promise((r) => setTimeout(r, 20));
  await collectGarbage(4);
}

/**
 * N full handshakes (TLS 1.3 and 1.2 alternately) with data exchange and close_notify both
 * ways; about half aborted at a random step (seeded). Heap after GC and RSS are measured after
 * `warmup` connections and again at the end.
 */
export async function runSoak(options: {
  handshakes: number;
  warmup: number;
  concurrency: number;
  maxSeconds: number;
  seed: number;
}): Promise<SoakReport> {
  const creds = await credentials();
  const contextsBaseline = handleStatistics().liveContexts;
  const server = await sspiEchoServer(creds.server);
  const random = prng(options.seed);
  const results: Record<string, number> = {};
  const one = async (i: number) => {
    const abort: AbortStep = random() < 0.5 ? ABORT_STEPS[Math.floor(random() * ABORT_STEPS.length)]! : null;
    const size = 1 + Math.floor(random() * 8192);
    const outcome = await sspiClient(
      server.port,
      creds.clients[i % creds.clients.length]!,
      randomBytes(size),
      abort,
      server.plans,
    );
    const key = abort !== null && outcome.result === "aborted" ? `aborted:${abort}` : outcome.result;
    results[key] = (results[key] ?? 0) + 1;
  };
  await pool(options.warmup, options.concurrency, one);
  for (const k of Object.keys(results)) delete results[k];
  await settle();
  const resourcesBefore = openResources();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  let done = 0;
  let stoppedEarly = false;
  await pool(options.handshakes, options.concurrency, async (i) => {
    if ((Date.now() - started) / 1000 > options.maxSeconds) {
      stoppedEarly = true;
      return;
    }
    await one(i);
    done++;
  });
  const seconds = (Date.now() - started) / 1000;
  server.plans.clear();
  await settle();
  const heapAfter = process.memoryUsage().heapUsed;
  const rssAfter = process.memoryUsage().rss;
  const resourcesAfter = openResources();
  await server.close();
  const liveContextsAfter = handleStatistics().liveContexts;
  await creds.free();
  const { statuses, ...rest } = server.stats;
  return {
    requested: options.handshakes,
    done,
    stoppedEarly,
    seconds,
    results,
    server: { ...rest, statuses: Object.fromEntries(statuses) },
    heapBefore,
    heapAfter,
    heapGrowth: (heapAfter - heapBefore) / heapBefore,
    rssBefore,
    rssAfter,
    rssGrowth: (rssAfter - rssBefore) / rssBefore,
    liveContextsAfter,
    liveContextsBaseline: contextsBaseline,
    resourcesBefore,
    resourcesAfter,
  };
}

/** The open-file limit (`ulimit -n`), or null when it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return out === "unlimited" ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return null;
  }
}

export interface ConcurrencyReport {
  requested: number;
  inFlight: number;
  reason: string | null;
  seconds: number;
  results: Record<string, number>;
  bytes: number;
  /** Server-side handshake failures by status (a client then sees "closed by peer"). */
  serverFailures: Record<string, number>;
}

/**
 * `count` handshakes started at once (with `queueDepth`: on credentials acquired with the
 * security service's per-worker queue raised to it, so none is refused for backpressure) over loopback TCP (listen backlog raised to `count`), each
 * sending 1–32 KiB of random bytes that must come back with the same SHA-256. Lowered, with the
 * reason, when `ulimit -n` cannot hold two sockets per connection (it cannot be raised from Node).
 */
export async function runConcurrency(count: number, queueDepth?: number): Promise<ConcurrencyReport> {
  const limit = openFileLimit();
  let inFlight = count;
  let reason: string | null = null;
  if (limit !== null && limit < 2 * count + 200) {
    inFlight = Math.max(1, Math.floor((limit - 200) / 2));
    reason = `ulimit -n is ${limit}: two sockets per connection allow ${inFlight} in flight`;
  }
  const configured = securityServiceConfiguration();
  if (queueDepth !== undefined) configureSecurityService({ queueDepth });
  const creds = await credentials();
  if (queueDepth !== undefined) configureSecurityService({ queueDepth: configured.queueDepth });
  const server = await sspiEchoServer(creds.server, { backlog: Math.max(511, inFlight), waitMs: 120_000 });
  const results: Record<string, number> = {};
  let bytes = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, i) => {
      const payload = randomBytes(1 + Math.floor(Math.random() * 32_768));
      let result: string;
      try {
        const outcome = await sspiClient(server.port, creds.clients[i % 2]!, payload, null, null, 120_000);
        result = outcome.result;
        if (result === "ok") bytes += outcome.bytes;
      } catch (error) {
        result = `exception: ${error instanceof Error ? error.message : String(error)}`;
      }
      results[result] = (results[result] ?? 0) + 1;
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await server.close();
  await creds.free();
  return {
    requested: count,
    inFlight,
    reason,
    seconds,
    results,
    bytes,
    serverFailures: Object.fromEntries(server.stats.statuses),
  };
}
