/**
 * Child process: one handshake storm. The main thread owns the server (ours: a TCP server whose
 * connections are accepted with `TlsContext` on this thread, the engines in the security
 * service's workers; native: `tls.createServer`); a worker thread runs `count` concurrent
 * native TLS 1.3 clients against it (RSA-2048 certificate). The server ends each connection
 * once its handshake completed.
 *
 * While the storm runs, this thread is watched by `monitorEventLoopDelay` (1 ms resolution)
 * and a `setImmediate` gap sampler (the longest time between two consecutive turns).
 *
 *   node dist/bench/storm.js FIXTURES ours|native COUNT
 *
 * Prints one JSON line: `{ maxStallMs, p99DelayMs, handshakes, failed, elapsedMs, … }`. The
 * longest `setImmediate` gap is attributed (Linux): `worstGapRunMs` is the time this thread was
 * on a CPU during it, `worstGapWaitMs` the time it was runnable but waiting for a CPU (both from
 * `/proc/self/task/<tid>/schedstat`); `gcMaxMs` is the longest GC pause of the storm.
 *
 * @module
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer as netCreateServer, type Server, type Socket } from "node:net";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { createServer as tlsCreateServer } from "node:tls";
import { Worker } from "node:worker_threads";
import { acquireTlsCredentials, TlsContext, type TlsCredentials } from "../src/api/index.js";
import { configureSecurityService } from "../src/service/configure.js";
import { loadFixtures, nativeServerOptions, suiteFor } from "./fixtures.js";
import { within } from "./stats.js";

const [fixturesPath, side, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 500);
const fixtures = loadFixtures(fixturesPath!);
const id = fixtures.rsa;

/** This thread's CPU time and run-queue wait so far, in ms (Linux `schedstat`), or null elsewhere. */
function schedstat(): { runMs: number; waitMs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8")
      .split(" ")
      .map(Number);
    return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return null;
  }
}

/** Receives what a socket delivers, one chunk per `receive()`, null at the end. */
function socketIo(socket: Socket) {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let waiter: (() => void) | null = null;
  const wake = () => {
    const w = waiter;
    waiter = null;
    w?.();
  };
  socket.on("data", (d: Buffer) => {
    chunks.push(d);
    wake();
  });
  for (const event of ["end", "close", "error"]) {
    socket.on(event, () => {
      ended = true;
      wake();
    });
  }
  return {
    send(bytes: Uint8Array) {
      if (!socket.destroyed) socket.write(bytes);
    },
    async receive(): Promise<Uint8Array | null> {
      while (chunks.length === 0 && !ended) await new Promise<void>((r) => (waiter = r));
      return chunks.shift() ?? null;
    },
  };
}

let handshakes = 0;
let failed = 0;
/** Failure messages of our server contexts, counted. */
const reasons = new Map<string, number>();

async function startOurs(): Promise<{ server: Server; credentials: TlsCredentials }> {
  // The default queueDepth (256 requests per worker) sheds part of a 500-handshake burst with
  // SEC_E_INSUFFICIENT_MEMORY, by design; the storm measures stalls, so admit the whole burst.
  configureSecurityService({ queueDepth: Math.max(256, 2 * count) });
  const credentials = await acquireTlsCredentials({
    role: "server",
    certificates: [{ certificate: id.certificate, privateKey: id.privateKey }],
    versions: ["TLSv1.3"],
    cipherSuites: [suiteFor("TLSv1.3")],
  });
  const server = netCreateServer((socket) => {
    socket.on("error", () => {});
    const context = new TlsContext(credentials);
    context
      .handshake(socketIo(socket))
      .then(
        () => {
          handshakes++;
        },
        (error: unknown) => {
          failed++;
          const reason = String((error as Error)?.message ?? error).slice(0, 160);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        },
      )
      .finally(() => {
        void context.close();
        socket.end();
      });
  });
  return { server, credentials };
}

function startNative(): Server {
  const server = tlsCreateServer(nativeServerOptions(id, "TLSv1.3"), (socket) => {
    handshakes++;
    socket.on("error", () => {});
    socket.end();
  });
  server.on("tlsClientError", () => {
    failed++;
  });
  return server;
}

async function storm(port: number, n: number): Promise<{ ok: number; failed: number; elapsedMs: number }> {
  const worker = new Worker(new URL("./storm-clients.js", import.meta.url), {
    workerData: { port, count: n, ca: id.ca, timeoutMs: 60_000 },
  });
  const [ready] = await within(once(worker, "message"), 30_000, "storm clients");
  if (ready !== "ready") throw new Error("storm clients did not start");
  const result = once(worker, "message");
  worker.postMessage("go");
  const [summary] = await within(result, 90_000, "storm");
  await worker.terminate();
  return summary as { ok: number; failed: number; elapsedMs: number };
}

async function main(): Promise<void> {
  let server: Server;
  let credentials: TlsCredentials | null = null;
  if (side === "ours") ({ server, credentials } = await startOurs());
  else server = startNative();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  // warm-up: start the service's workers and load the credential there (not measured)
  await storm(port, 4);
  handshakes = 0;
  failed = 0;

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let maxGap = 0;
  let last = performance.now();
  let lastSched = schedstat();
  let worstGap = { runMs: 0, waitMs: 0 };
  let sampling = true;
  const sample = () => {
    const t = performance.now();
    const sched = lastSched && schedstat();
    if (t - last > maxGap) {
      maxGap = t - last;
      if (sched && lastSched)
        worstGap = { runMs: sched.runMs - lastSched.runMs, waitMs: sched.waitMs - lastSched.waitMs };
    }
    last = t;
    lastSched = sched;
    if (sampling) setImmediate(sample);
  };
  let gcMaxMs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration);
  });
  gcs.observe({ entryTypes: ["gc"] });
  histogram.enable();
  setImmediate(sample);
  const result = await storm(port, count);
  sampling = false;
  histogram.disable();
  gcs.disconnect();
  const out = {
    maxStallMs: Math.max(maxGap, histogram.max / 1e6),
    immediateGapMaxMs: maxGap,
    histogramMaxMs: histogram.max / 1e6,
    p99DelayMs: histogram.percentile(99) / 1e6,
    ...(lastSched && { worstGapRunMs: worstGap.runMs, worstGapWaitMs: worstGap.waitMs }),
    gcMaxMs,
    handshakes,
    failed: failed + result.failed,
    clientsOk: result.ok,
    elapsedMs: result.elapsedMs,
    ...(reasons.size > 0 && { failures: Object.fromEntries(reasons) }),
  };
  server.close();
  await credentials?.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
