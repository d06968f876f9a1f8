/**
 * `npm run bench`: every figure of issues 5 and 11 measured side by side with Node's native `tls`
 * and the engine ceiling (the addon stepped synchronously in one thread, `engine-ceiling.ts`),
 * interleaved (each round runs every selected metric, ours and native alternating which goes
 * first), the median of the rounds reported.
 *
 *   npm run bench                              # full run: 5 rounds, 10,000 contexts for memory
 *   npm run bench -- --quick                   # 3 rounds, shorter cells, 1,000 contexts, storm of 500
 *   npm run bench -- --only latency_100b_us,throughput_16k_MBps
 *   npm run bench -- --json docs/bench/results.json   # chart written next to it (.svg)
 *   npm run bench -- --rounds 7
 *
 * Prints a progress line per cell (stderr) and the table at the end (stdout). Without `--json`
 * the results go to `artifacts/bench/results.json` (+ `.svg`).
 *
 * @module
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TlsVersion } from "../src/api/index.js";
import { securityServiceConfiguration } from "../src/service/configure.js";
import { renderChart } from "./chart.js";
import { ceilingCipherRate, ceilingRate } from "./engine-ceiling.js";
import {
  createFixtures,
  type Fixtures,
  type KeyKind,
  nativeClientOptions,
  nativeServerOptions,
  ourCredentials,
  saveFixtures,
} from "./fixtures.js";
import { nativeRate, ourRate } from "./handshake-rate.js";
import { ourHandshake } from "./pairs.js";
import { nativeLatency, nativeThroughput, ourLatency, ourThroughput } from "./record-figures.js";
import { median } from "./stats.js";

// ------------------------------------------------------------------------------------------
// options

interface Options {
  quick: boolean;
  only: Set<string> | null;
  json: string;
  rounds: number;
}

/** A bad command line: reported without a stack trace. */
class UsageError extends Error {}

function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  let only: Set<string> | null = null;
  let json = "artifacts/bench/results.json";
  let rounds = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--only") only = new Set(argv[++i]!.split(",").filter(Boolean));
    else if (a.startsWith("--only=")) only = new Set(a.slice(7).split(",").filter(Boolean));
    else if (a === "--json") json = argv[++i]!;
    else if (a.startsWith("--json=")) json = a.slice(7);
    else if (a === "--rounds") rounds = Number(argv[++i]);
    else if (a.startsWith("--rounds=")) rounds = Number(a.slice(9));
    else if (a === "--help" || a === "-h") {
      process.stdout.write(
        "npm run bench -- [--quick] [--only name,name] [--rounds N] [--json FILE]\n" +
          `metrics: ${METRICS.map((m) => m.name).join(", ")}\n`,
      );
      process.exit(0);
    } else throw new UsageError(`unknown option ${a} (see --help)`);
  }
  if (!json) throw new UsageError("--json needs a file name");
  if (rounds !== 0 && !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50))
    throw new UsageError("--rounds must be an integer 1..50");
  return { quick, only, json, rounds: rounds || (quick ? 3 : 5) };
}

// ------------------------------------------------------------------------------------------
// cells

interface Budget {
  rateMs: number;
  recordMs: number;
  latencyMs: number;
  stormCount: number;
  memoryContexts: number;
}

type Side = "ours" | "native";

interface Context {
  fixtures: Fixtures;
  fixturesPath: string;
  budget: Budget;
  notes: Record<string, string>;
}

interface Metric {
  name: string;
  unit: string;
  lowerIsBetter: boolean;
  target: string;
  /** Met? `all` holds the medians of every metric measured (for cross-metric targets). */
  met(
    ours: number,
    native: number,
    all: ReadonlyMap<string, { ours: number; native: number }>,
  ): boolean | null;
  run(side: Side, ctx: Context): Promise<number>;
}

const RATE = { concurrency: 16, maxCount: 50_000 };
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** The engine-ceiling metric of a handshake rate metric. */
const CEILING_OF: Record<string, string> = {
  handshake_rate_tls13_ecdsa: "engine_ceiling_tls13_ecdsa",
  handshake_rate_tls13_rsa: "engine_ceiling_tls13_rsa",
  handshake_rate_tls12_ecdsa: "engine_ceiling_tls12_ecdsa",
  resumed_handshake_rate_tls13: "engine_ceiling_resumed_tls13",
};

function rateMetric(name: string, key: KeyKind, version: TlsVersion, resumed: boolean): Metric {
  return {
    name,
    unit: "handshakes/s",
    lowerIsBetter: false,
    target: "≥ 0.8× engine ceiling and ≥ 2.5× native",
    met: (o, n, all) => {
      const ceiling = all.get(CEILING_OF[name]!);
      return o >= 2.5 * n && (ceiling === undefined || o >= 0.8 * ceiling.ours);
    },
    async run(side, ctx) {
      const id = ctx.fixtures[key];
      const options = { ...RATE, durationMs: ctx.budget.rateMs };
      const r =
        side === "ours"
          ? await ourRate(id, version, resumed, options)
          : await nativeRate(
              nativeServerOptions(id, version),
              nativeClientOptions(id, version),
              resumed,
              options,
            );
      ctx.notes[`${name}.${side}`] =
        `${r.suite}, ${r.count} handshakes${resumed ? `, ${(r.resumedFraction * 100).toFixed(0)}% resumed` : ""}`;
      if (resumed && r.resumedFraction < 0.9)
        throw new Error(
          `${name} ${side}: only ${(r.resumedFraction * 100).toFixed(0)}% of handshakes resumed`,
        );
      return r.perSecond;
    },
  };
}

function runChild(script: string, args: string[], timeoutMs: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", join(BENCH_DIR, script), ...args],
      { timeout: timeoutMs, maxBuffer: 1 << 20, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${script} ${args.slice(1).join(" ")}: ${error.message}\n${stderr}`));
          return;
        }
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(line) as Record<string, number>);
        } catch {
          reject(new Error(`${script}: no JSON result (${line.slice(0, 200)})\n${stderr}`));
        }
      },
    );
  });
}

/** Storm results per round and side, shared by the two storm metrics (one storm feeds both). */
const storms = new Map<string, Record<string, number>>();

async function stormOf(side: Side, ctx: Context, round: number): Promise<Record<string, number>> {
  const key = `${side}:${round}`;
  let result = storms.get(key);
  if (!result) {
    result = await runChild("storm.js", [ctx.fixturesPath, side, String(ctx.budget.stormCount)], 180_000);
    if (result.handshakes! < ctx.budget.stormCount * 0.98)
      throw new Error(
        `storm ${side}: only ${result.handshakes}/${ctx.budget.stormCount} handshakes completed`,
      );
    storms.set(key, result);
    ctx.notes[`storm.${side}`] =
      `${result.handshakes} handshakes in ${result.elapsedMs!.toFixed(0)} ms; immediate-gap max ${result.immediateGapMaxMs!.toFixed(1)} ms, histogram max ${result.histogramMaxMs!.toFixed(1)} ms` +
      (result.worstGapWaitMs === undefined
        ? ""
        : ` (longest gap: ${result.worstGapRunMs!.toFixed(1)} ms on CPU, ${result.worstGapWaitMs.toFixed(1)} ms waiting for one)`) +
      `; longest GC ${result.gcMaxMs!.toFixed(1)} ms`;
  }
  return result;
}

let currentRound = 0;

async function withOurPair<T>(
  ctx: Context,
  fn: (pair: Awaited<ReturnType<typeof ourHandshake>>) => T,
): Promise<T> {
  const creds = await ourCredentials(ctx.fixtures.ecdsa, "TLSv1.3", false);
  try {
    const pair = await ourHandshake(creds);
    try {
      ctx.notes.record_suite_ours = pair.client.cipherSuite;
      return fn(pair);
    } finally {
      await pair.close();
    }
  } finally {
    await creds.close();
  }
}

/** An engine-ceiling cell: the addon stepped synchronously in this thread, no SSPI/async/service. */
function ceilingMetric(name: string, key: KeyKind, version: TlsVersion, resumed: boolean): Metric {
  return {
    name,
    unit: "handshakes/s",
    lowerIsBetter: false,
    target: "(ceiling; ours/native = two interleaved runs of the same loop)",
    met: () => null,
    run: async (_side, ctx) => ceilingRate(ctx.fixtures[key], version, resumed, ctx.budget.rateMs),
  };
}

const METRICS: Metric[] = [
  ceilingMetric("engine_ceiling_tls13_ecdsa", "ecdsa", "TLSv1.3", false),
  ceilingMetric("engine_ceiling_tls13_rsa", "rsa", "TLSv1.3", false),
  ceilingMetric("engine_ceiling_tls12_ecdsa", "ecdsa", "TLSv1.2", false),
  ceilingMetric("engine_ceiling_resumed_tls13", "ecdsa", "TLSv1.3", true),
  {
    name: "engine_ceiling_memory_kib",
    unit: "KiB RSS",
    lowerIsBetter: true,
    target: "(ceiling: a bare established SSL pair, per context)",
    met: () => null,
    async run(_side, ctx) {
      const n = ctx.budget.memoryContexts;
      const r = await runChild("engine-ceiling.js", [ctx.fixturesPath, "memory", String(n)], 900_000);
      return r.kibPerContext!;
    },
  },
  rateMetric("handshake_rate_tls13_ecdsa", "ecdsa", "TLSv1.3", false),
  rateMetric("handshake_rate_tls13_rsa", "rsa", "TLSv1.3", false),
  rateMetric("handshake_rate_tls12_ecdsa", "ecdsa", "TLSv1.2", false),
  rateMetric("resumed_handshake_rate_tls13", "ecdsa", "TLSv1.3", true),
  {
    name: "storm_max_stall_ms",
    unit: "ms",
    lowerIsBetter: true,
    target: "≤ 10 and ≤ 0.15× native",
    met: (o, n) => o <= 10 && o <= 0.15 * n,
    run: async (side, ctx) => (await stormOf(side, ctx, currentRound)).maxStallMs!,
  },
  {
    name: "storm_p99_delay_ms",
    unit: "ms",
    lowerIsBetter: true,
    target: "(reported)",
    met: () => null,
    run: async (side, ctx) => (await stormOf(side, ctx, currentRound)).p99DelayMs!,
  },
  {
    name: "throughput_16k_MBps",
    unit: "MB/s",
    lowerIsBetter: false,
    target: "≥ 3× native and ≥ 70% of cipher limit",
    met: (o, n, all) => {
      const limit = all.get("cipher_limit_16k_MBps");
      return o >= 3 * n && (limit === undefined || o >= 0.7 * limit.ours);
    },
    async run(side, ctx) {
      if (side === "ours")
        return withOurPair(ctx, (pair) => ourThroughput(pair, ctx.budget.recordMs, 1_000_000));
      const id = ctx.fixtures.ecdsa;
      const r = await nativeThroughput(
        nativeServerOptions(id, "TLSv1.3"),
        nativeClientOptions(id, "TLSv1.3"),
        ctx.budget.recordMs,
        2 ** 32,
      );
      ctx.notes.record_suite_native = r.suite;
      return r.mbps;
    },
  },
  {
    name: "latency_100b_us",
    unit: "µs (p50)",
    lowerIsBetter: true,
    target: "≤ 0.3× native",
    met: (o, n) => o <= 0.3 * n,
    async run(side, ctx) {
      if (side === "ours") return withOurPair(ctx, (pair) => ourLatency(pair, ctx.budget.latencyMs, 200_000));
      const id = ctx.fixtures.ecdsa;
      return nativeLatency(
        nativeServerOptions(id, "TLSv1.3"),
        nativeClientOptions(id, "TLSv1.3"),
        ctx.budget.latencyMs,
        100_000,
      );
    },
  },
  {
    name: "memory_per_context_kib",
    unit: "KiB RSS",
    lowerIsBetter: true,
    target: "≤ 1.2× engine ceiling memory",
    met: (o, _n, all) => {
      const ceiling = all.get("engine_ceiling_memory_kib");
      return ceiling === undefined ? null : o <= 1.2 * ceiling.ours;
    },
    async run(side, ctx) {
      const n = ctx.budget.memoryContexts;
      const r = await runChild("memory.js", [ctx.fixturesPath, side, String(n), "100"], 900_000);
      ctx.notes[`memory.${side}`] =
        `${r.contexts} contexts, RSS +${r.rssGrowthMiB!.toFixed(1)} MiB, established in ${r.establishMs!.toFixed(0)} ms`;
      return r.kibPerContext!;
    },
  },
  {
    name: "cipher_limit_16k_MBps",
    unit: "MB/s",
    lowerIsBetter: false,
    target: "(ceiling: AES-128-GCM seal+open through OpenSSL's EVP on one core, from the addon)",
    met: () => null,
    run: async (_side, ctx) => ceilingCipherRate(ctx.budget.recordMs),
  },
];

// ------------------------------------------------------------------------------------------
// main

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The pool the asynchronous handshake steps run on (libuv's threadpool), as the bench states it. */
function poolStatement(): string {
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const service = securityServiceConfiguration();
  return `pool: handshake steps on libuv's threadpool, ${size} threads (UV_THREADPOOL_SIZE${process.env.UV_THREADPOOL_SIZE ? "" : " unset: default 4"}); native engine, queueDepth ${service.queueDepth}; ${availableParallelism()} cores`;
}

/** How far a missed target is: ours against each bound it names. */
function shortfall(m: Metric, medians: ReadonlyMap<string, { ours: number; native: number }>): string {
  const { ours, native } = medians.get(m.name)!;
  const parts = [`${(ours / native).toFixed(2)}× native`];
  const ceiling = CEILING_OF[m.name];
  const against =
    ceiling ??
    (m.name === "memory_per_context_kib"
      ? "engine_ceiling_memory_kib"
      : m.name === "throughput_16k_MBps"
        ? "cipher_limit_16k_MBps"
        : undefined);
  const bound = against === undefined ? undefined : medians.get(against);
  if (bound !== undefined) parts.push(`${(ours / bound.ours).toFixed(2)}× ${against}`);
  return parts.join(", ");
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const unknown = [...(options.only ?? [])].filter((n) => !METRICS.some((m) => m.name === n));
  if (unknown.length > 0) throw new UsageError(`unknown metric(s): ${unknown.join(", ")} (see --help)`);
  const selected = METRICS.filter((m) => !options.only || options.only.has(m.name));
  const budget: Budget = options.quick
    ? { rateMs: 700, recordMs: 400, latencyMs: 300, stormCount: 500, memoryContexts: 1_000 }
    : { rateMs: 2_000, recordMs: 1_000, latencyMs: 800, stormCount: 500, memoryContexts: 10_000 };
  process.stderr.write("generating certificates …\n");
  const fixtures = await createFixtures();
  const fixturesPath = join(tmpdir(), `async-sspi-bench-${process.pid}.json`);
  saveFixtures(fixtures, fixturesPath);
  const ctx: Context = { fixtures, fixturesPath, budget, notes: {} };
  const pool = poolStatement();
  process.stderr.write(`${pool}\n`);
  const samples = new Map<string, { ours: number[]; native: number[] }>();
  const loadStart = loadavg();
  const started = Date.now();
  const total = options.rounds * selected.length * 2;
  let done = 0;
  for (let round = 0; round < options.rounds; round++) {
    currentRound = round;
    for (const [index, metric] of selected.entries()) {
      const order: Side[] = (round + index) % 2 === 0 ? ["ours", "native"] : ["native", "ours"];
      for (const side of order) {
        const t0 = Date.now();
        const value = await metric.run(side, ctx);
        const entry = samples.get(metric.name) ?? { ours: [], native: [] };
        entry[side].push(value);
        samples.set(metric.name, entry);
        done++;
        process.stderr.write(
          `[${String(done).padStart(3)}/${total}] round ${round + 1}/${options.rounds} ${metric.name} ${side.padEnd(6)} ${fmt(value)} ${metric.unit} (${((Date.now() - t0) / 1000).toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)})\n`,
        );
      }
    }
  }
  const medians = new Map<string, { ours: number; native: number }>();
  for (const m of selected) {
    const s = samples.get(m.name)!;
    medians.set(m.name, { ours: median(s.ours), native: median(s.native) });
  }
  const metrics: Record<string, { ours: number; native: number; ratio: number; unit: string }> = {};
  const rows: string[][] = [["metric", "ours", "native", "ratio", "unit", "target", "met?"]];
  for (const m of selected) {
    const { ours, native } = medians.get(m.name)!;
    const ratio = ours / native;
    metrics[m.name] = { ours, native, ratio, unit: m.unit };
    const met = m.met(ours, native, medians);
    rows.push([
      m.name,
      fmt(ours),
      fmt(native),
      `${ratio.toFixed(2)}×`,
      m.unit,
      m.target,
      met === null ? "–" : met ? "yes" : "NO",
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const table = rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (c >= 1 && c <= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join("  ");
      return i === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
    })
    .join("\n");
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    availableParallelism: availableParallelism(),
    service: securityServiceConfiguration(),
    pool,
    loadavgStart: loadStart,
    loadavgEnd: loadavg(),
  };
  const report = {
    metrics,
    meta: {
      date: new Date(started).toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      rounds: options.rounds,
      quick: options.quick,
      statistic: "median of rounds",
      machine,
      budget,
      transport: {
        ours_handshakes: "client and server TlsContext in this process, tokens passed in memory (no socket)",
        native_handshakes: "tls.connect ↔ tls.createServer over loopback TCP",
        native_throughput: "TLSSocket pair over loopback TCP",
        native_latency: "TLSSocket pair over a cross-wired in-memory Duplex pair",
        native_memory: "TLSSocket pairs over cross-wired in-memory Duplex pairs",
        storm: "native TLS 1.3 clients in a worker thread → server on the measured thread over loopback TCP",
      },
      notes: ctx.notes,
    },
    samples: Object.fromEntries(samples),
  };
  mkdirSync(dirname(options.json), { recursive: true });
  writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  const svgPath = `${options.json.replace(/\.json$/i, "")}.svg`;
  writeFileSync(
    svgPath,
    renderChart(
      selected.map((m) => ({
        name: m.name,
        ...medians.get(m.name)!,
        unit: m.unit,
        lowerIsBetter: m.lowerIsBetter,
      })),
      `async-sspi vs Node tls — medians of ${options.rounds} rounds (${machine.cpus} cores, ${new Date(started).toISOString().slice(0, 10)})`,
    ),
  );
  const missed = selected
    .map((m) => ({ m, met: m.met(medians.get(m.name)!.ours, medians.get(m.name)!.native, medians) }))
    .filter((x) => x.met === false)
    .map(({ m }) => `  missed: ${m.name} (${m.target}): ${shortfall(m, medians)}`);
  process.stdout.write(
    `\n${pool}\n${table}\n${missed.length > 0 ? `${missed.join("\n")}\n` : ""}\nmedians of ${options.rounds} interleaved rounds; load average ${loadStart.map((l) => l.toFixed(1)).join("/")} → ${machine.loadavgEnd.map((l) => l.toFixed(1)).join("/")}\nwrote ${options.json} and ${svgPath}\n`,
  );
  process.exit(0);
}

main().catch((error) => {
  const text = error instanceof UsageError ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`bench failed: ${text}\n`);
  process.exit(1);
});
