/**
 * `npm run soak`: the long soak and the 2,000-in-flight concurrency run, printing the figures.
 *
 * Environment: `SOAK_HANDSHAKES` (default 100000), `SOAK_MAX_SECONDS` (default 1800: the run stops
 * early and says so), `SOAK_WARMUP` (default 2000), `SOAK_CONCURRENCY` (default 16),
 * `SOAK_SEED`, `CONCURRENCY_IN_FLIGHT` (default 2000; 0 skips it).
 * Exit status 1 when a check fails (a context or socket left, heap growth over 5 %, a
 * connection neither completing nor failing with a status, an echo that differs).
 */
import { handleStatistics } from "../../src/index.js";
import { runConcurrency, runSoak } from "./load.js";

// `node --test dist/test/` also loads every file under a `test` folder: do nothing there.
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  console.log("soak-main: run it with `npm run soak`");
  process.exit(0);
}

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && process.env[name] !== "" && process.env[name] !== undefined ? v : fallback;
};
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const failures: string[] = [];

const handshakes = env("SOAK_HANDSHAKES", 100_000);
const seed = env("SOAK_SEED", Date.now() % 1_000_000);
const soak = await runSoak({
  handshakes,
  warmup: env("SOAK_WARMUP", 2000),
  concurrency: env("SOAK_CONCURRENCY", 16),
  maxSeconds: env("SOAK_MAX_SECONDS", 1800),
  seed,
});
console.log(
  `soak: ${soak.done}/${soak.requested} connections in ${soak.seconds.toFixed(1)} s (seed ${seed})${soak.stoppedEarly ? " — stopped at SOAK_MAX_SECONDS" : ""}`,
);
console.log(`  results: ${JSON.stringify(soak.results)}`);
console.log(`  server: ${JSON.stringify(soak.server)}`);
console.log(`  heap after GC: ${mib(soak.heapBefore)} → ${mib(soak.heapAfter)} (${pct(soak.heapGrowth)})`);
console.log(`  RSS: ${mib(soak.rssBefore)} → ${mib(soak.rssAfter)} (${pct(soak.rssGrowth)})`);
console.log(`  live contexts: ${soak.liveContextsAfter} (baseline ${soak.liveContextsBaseline})`);
console.log(
  `  open resources: ${JSON.stringify(soak.resourcesBefore)} → ${JSON.stringify(soak.resourcesAfter)}`,
);
for (const [result, n] of Object.entries(soak.results))
  if (result !== "ok" && !result.startsWith("aborted:")) failures.push(`soak: ${n} × ${result}`);
if (soak.heapGrowth > 0.05) failures.push(`soak: heap grew ${pct(soak.heapGrowth)}`);
if (soak.liveContextsAfter !== soak.liveContextsBaseline) failures.push("soak: contexts left live");
if (JSON.stringify(soak.resourcesAfter) !== JSON.stringify(soak.resourcesBefore))
  failures.push("soak: resources left open");

const inFlight = env("CONCURRENCY_IN_FLIGHT", 2000);
if (inFlight > 0) {
  for (const queueDepth of [undefined, 2 * inFlight]) {
    const c = await runConcurrency(inFlight, queueDepth);
    const label = queueDepth === undefined ? "default service queue" : `queueDepth ${queueDepth}`;
    console.log(
      `concurrency (${label}): ${c.inFlight} in flight (asked ${c.requested}) in ${c.seconds.toFixed(1)} s: ${JSON.stringify(c.results)}, ${mib(c.bytes)} echoed and hash-checked`,
    );
    if (c.reason) console.log(`  lowered: ${c.reason}`);
    console.log(`  server-side failures: ${JSON.stringify(c.serverFailures)}`);
    const serverFailed = Object.values(c.serverFailures).reduce((a, b) => a + b, 0);
    for (const [result, n] of Object.entries(c.results)) {
      if (result === "closed by peer" && n <= serverFailed) continue; // the server failed with a status
      if (result !== "ok" && !/^SEC_[EI]_/.test(result)) failures.push(`concurrency: ${n} × ${result}`);
    }
    if (queueDepth !== undefined && c.results.ok !== c.inFlight)
      failures.push(`concurrency (${label}): not every connection completed`);
  }
}
console.log(
  `live contexts at exit: ${handleStatistics().liveContexts}; open resources: ${JSON.stringify(process.getActiveResourcesInfo())}`,
);
if (failures.length > 0) {
  console.log(`FAILED:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log("soak passed");
