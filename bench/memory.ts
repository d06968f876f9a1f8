/**
 * Child process: RSS per established idle context. Establishes `count` connections (client and
 * server in this process), `batch` handshakes at a time, keeps them all open and idle, then
 * forces GC and reads RSS. TLS 1.3 with the ECDSA certificate.
 *
 * - Ours: pairs of `TlsContext` over in-memory token passing (engines in the service workers;
 *   RSS counts the whole process, workers included).
 * - Native: pairs of TLSSockets over cross-wired in-memory Duplex pairs (10,000 TCP pairs would
 *   need 20,000 descriptors; the hard limit here is 20,000).
 *
 *   node --expose-gc dist/bench/memory.js FIXTURES ours|native COUNT BATCH
 *
 * Prints one JSON line: `{ kibPerContext, rssGrowthMiB, contexts }` (a pair is two contexts).
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadFixtures, nativeClientOptions, nativeServerOptions, ourCredentials } from "./fixtures.js";
import { nativeDuplexPair, ourHandshake } from "./pairs.js";
import { sleep, within } from "./stats.js";

const [fixturesPath, side, countArg, batchArg] = process.argv.slice(2);
const count = Number(countArg ?? 10_000);
const batch = Number(batchArg ?? 100);
const id = loadFixtures(fixturesPath!).ecdsa;

setFlagsFromString("--expose-gc");
const gc = (globalThis as { gc?: () => void }).gc ?? (runInNewContext("gc") as () => void);

async function settle(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const keep: unknown[] = [];
  let establish: () => Promise<unknown>;
  let cleanup = async () => {};
  if (side === "ours") {
    const creds = await ourCredentials(id, "TLSv1.3", false);
    establish = () => within(ourHandshake(creds), 60_000, "our handshake");
    cleanup = () => creds.close();
  } else {
    const serverOptions = nativeServerOptions(id, "TLSv1.3");
    const clientOptions = nativeClientOptions(id, "TLSv1.3");
    establish = () => within(nativeDuplexPair(serverOptions, clientOptions), 60_000, "native handshake");
  }
  // warm-up (workers started, credentials loaded, code compiled), then the baseline
  for (let i = 0; i < 2; i++) keep.push(...(await Promise.all(Array.from({ length: batch }, establish))));
  const before = await settle();
  const startedAt = performance.now();
  for (let made = 0; made < count; made += batch) {
    keep.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - made) }, establish))));
  }
  const establishMs = performance.now() - startedAt;
  await sleep(500);
  const after = await settle();
  const contexts = 2 * count;
  process.stdout.write(
    `${JSON.stringify({
      kibPerContext: (after - before) / contexts / 1024,
      rssGrowthMiB: (after - before) / 2 ** 20,
      contexts,
      establishMs,
      heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
    })}\n`,
  );
  void keep;
  void cleanup;
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
