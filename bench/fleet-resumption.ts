/**
 * `npm run bench:fleet`: session resumption across a fleet of two `async-sspi serve` processes
 * (same certificate, two ports). One Node `tls` client makes N connections (default 1,000),
 * alternating strictly between the two processes and always offering the last ticket it received
 * from either. Run once with the processes sharing ticket keys through Redis (`--ticket-keys`,
 * a redis-server started on loopback) and once with per-process keys; the resumption rate of each
 * is reported (target: ≥ 99 % shared, ~0 % per process), for TLS 1.3 and TLS 1.2.
 *
 *   npm run bench:fleet
 *   npm run bench:fleet -- --connections 200 --json artifacts/bench/fleet.json
 *
 * Bounded: each connection has 10 s, each run 180 s.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { createCertificateAuthority, issueCertificate } from "../src/devcert/certificates.js";
import { startRedis } from "../test/support/redis-server.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const CONNECTION_LIMIT_MS = 10_000;
const RUN_LIMIT_MS = 180_000;

interface Options {
  connections: number;
  json: string;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { connections: 1000, json: "artifacts/bench/fleet-resumption.json" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--connections") options.connections = Number(argv[++i]);
    else if (a === "--json") options.json = argv[++i]!;
    else throw new Error(`bench:fleet: unknown option ${a} (--connections N, --json FILE)`);
  }
  if (!Number.isSafeInteger(options.connections) || options.connections < 2)
    throw new Error("bench:fleet: --connections needs a count of 2 or more");
  return options;
}

/** One `async-sspi serve --echo` process; resolves with its port once it listens. */
function startServe(args: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--echo", "--port", "0", "--idle-timeout", "0", ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`serve did not listen within 30 s:\n${out}`));
    }, 30_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const port = /listening on [^\s]+:(\d+)/.exec(out)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        resolve({ port: Number(port), stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening:\n${out}`));
    });
  });
}

/** One connection: echo one message, close; whether it resumed and the ticket it left. */
function visit(
  port: number,
  ca: string,
  version: tls.SecureVersion,
  session: Buffer | undefined,
): Promise<{ resumed: boolean; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    let latest = session;
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "fleet.test",
      ca,
      minVersion: version,
      maxVersion: version,
      ...(session && { session }),
    });
    const timer = setTimeout(
      () => socket.destroy(new Error("connection took over 10 s")),
      CONNECTION_LIMIT_MS,
    );
    socket.on("session", (s: Buffer) => {
      latest = s;
    });
    let resumed = false;
    socket.once("secureConnect", () => {
      resumed = socket.isSessionReused();
      socket.write("ping");
    });
    socket.once("data", () => socket.end());
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ resumed, session: latest });
    });
  });
}

interface Result {
  version: string;
  keys: "shared (Redis)" | "per process";
  connections: number;
  resumed: number;
  /** Resumed / (connections - 1): the first connection has nothing to offer. */
  rate: number;
  seconds: number;
}

async function run(
  version: tls.SecureVersion,
  keys: Result["keys"],
  serveArgs: string[],
  ca: string,
  connections: number,
): Promise<Result> {
  const a = await startServe(serveArgs);
  const b = await startServe(serveArgs);
  try {
    const started = performance.now();
    let session: Buffer | undefined;
    let resumed = 0;
    for (let i = 0; i < connections; i++) {
      if (performance.now() - started > RUN_LIMIT_MS) throw new Error(`run over ${RUN_LIMIT_MS / 1000} s`);
      const r = await visit(i % 2 === 0 ? a.port : b.port, ca, version, session);
      session = r.session;
      if (r.resumed) resumed++;
    }
    const seconds = (performance.now() - started) / 1000;
    return { version, keys, connections, resumed, rate: resumed / (connections - 1), seconds };
  } finally {
    await a.stop();
    await b.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "async-sspi-bench-fleet-"));
  const redis = await startRedis();
  try {
    const ca = await createCertificateAuthority({ commonName: "bench fleet CA" });
    const server = await issueCertificate(ca, { commonName: "fleet.test" });
    const cert = join(dir, "server.pem");
    const key = join(dir, "server.key");
    writeFileSync(cert, server.certificate);
    writeFileSync(key, server.privateKey);
    const results: Result[] = [];
    for (const version of ["TLSv1.3", "TLSv1.2"] as const)
      for (const [keys, extra] of [
        ["shared (Redis)", ["--ticket-keys", redis.url]],
        ["per process", []],
      ] as const) {
        const args = ["--cert", cert, "--key", key, ...extra];
        const r = await run(version, keys, args, ca.certificate, options.connections);
        results.push(r);
        process.stderr.write(`${version} ${keys}: ${r.resumed}/${r.connections - 1} resumed\n`);
      }
    console.log(
      `\nSession resumption across 2 serve processes, ${options.connections} connections alternating A/B, one Node tls client offering its last ticket\n`,
    );
    console.log("| TLS | ticket keys | resumed | rate | connections/s |");
    console.log("| --- | --- | --- | --- | --- |");
    for (const r of results)
      console.log(
        `| ${r.version} | ${r.keys} | ${r.resumed} / ${r.connections - 1} | ${(r.rate * 100).toFixed(1)} % | ${(r.connections / r.seconds).toFixed(0)} |`,
      );
    mkdirSync(dirname(options.json), { recursive: true });
    writeFileSync(
      options.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
    );
    console.log(`\n(written to ${options.json})`);
    const shared = results.filter((r) => r.keys === "shared (Redis)");
    if (shared.some((r) => r.rate < 0.99)) {
      console.error("bench:fleet: shared keys resumed under 99 %");
      process.exitCode = 1;
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
