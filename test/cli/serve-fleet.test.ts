/**
 * `async-sspi serve --ticket-keys redis://…` and `--workers N`: servers that share a Redis resume
 * each other's sessions; a cluster's workers share one certificate and resume each other's
 * sessions; Redis unreachable is said once and the server serves; bad flags are usage errors.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { freePort, withTimeout } from "../support/peers.js";
import { type Pki, pki } from "../support/pki.js";
import { type RedisServer, requireRedis, startRedis } from "../support/redis-server.js";
import { cli, exitOf, kill, runProcess, spawnCli, startServe, tempDir, waitFor } from "./serve-support.js";

let p: Pki;
let redis: RedisServer | null = null;
const dir = tempDir();
let certFile: string;
let keyFile: string;

before(async () => {
  p = await pki();
  certFile = join(dir.path, "server.pem");
  keyFile = join(dir.path, "server.key");
  writeFileSync(certFile, p.server.certificate);
  writeFileSync(keyFile, p.server.privateKey);
});
after(async () => {
  await redis?.stop();
  dir.remove();
});

/** A Node tls client that always offers the last ticket it received; resolves whether it resumed. */
function resumingClient(ca: string | Buffer, servername: string) {
  let session: Buffer | undefined;
  return (port: number) =>
    withTimeout(
      new Promise<boolean>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername, ca, ...(session && { session }) });
        socket.on("session", (s: Buffer) => {
          session = s;
        });
        socket.on("secureConnect", () => socket.end("ping"));
        socket.on("data", () => {});
        socket.on("error", reject);
        socket.on("end", () => resolve(socket.isSessionReused()));
      }),
      10_000,
      "tls visit",
    );
}

test("two serve processes with --ticket-keys on one Redis resume each other's sessions; without, they cannot", async (t) => {
  if (!requireRedis(t)) return;
  redis ??= await startRedis();
  const shared = ["--echo", "--cert", certFile, "--key", keyFile, "--ticket-keys", redis.url];
  const alone = ["--echo", "--cert", certFile, "--key", keyFile];
  for (const [args, expected] of [
    [shared, true],
    [alone, false],
  ] as const) {
    const a = await startServe([...args], dir.path);
    const b = await startServe([...args], dir.path);
    try {
      const visit = resumingClient(p.ca.certificate, "server.test");
      assert.equal(await visit(a.port), false);
      const resumed = [];
      for (let i = 0; i < 6; i++) resumed.push(await visit(i % 2 === 0 ? b.port : a.port));
      assert.deepEqual(resumed, Array(6).fill(expected), `alternating between A and B, ${args.join(" ")}`);
    } finally {
      await kill(a);
      await kill(b);
    }
  }
});

test("--workers 2: one port, one development certificate made by the primary, sessions resume on either worker", async (t) => {
  if (!requireRedis(t)) return;
  redis ??= await startRedis();
  const caFile = join(dir.path, "workers-ca.pem");
  for (const keys of [["--ticket-keys", redis.url], []]) {
    const serve = spawnCli([
      "serve",
      "--echo",
      "--json",
      "--port",
      "0",
      "--workers",
      "2",
      "--save-ca",
      caFile,
      ...keys,
    ]);
    try {
      const listening = () =>
        serve
          .stdout()
          .split("\n")
          .filter((l) => l.includes('"listening"'))
          .map((l) => JSON.parse(l) as { port: number; worker: number });
      await waitFor(() => String(listening().length), /^2$/, 30_000, "two workers listening");
      const [first, second] = listening();
      assert.equal(first!.port, second!.port, "the workers share one port");
      assert.notEqual(first!.worker, second!.worker);
      const visit = resumingClient(readFileSync(caFile), "localhost");
      const resumed = [];
      for (let i = 0; i < 8; i++) resumed.push(await visit(first!.port));
      assert.deepEqual(resumed, [false, ...Array(7).fill(true)], keys.join(" ") || "without --ticket-keys");
      const connections = () =>
        serve
          .stdout()
          .split("\n")
          .filter((l) => l.includes('"connection"'))
          .map((l) => JSON.parse(l) as { worker: number; resumed: boolean });
      await waitFor(() => String(connections().length), /^8$/, 10_000, "eight connection lines");
      assert.deepEqual(
        new Set(connections().map((c) => c.worker)),
        new Set([first!.worker, second!.worker]),
        "both workers served",
      );
      serve.child.kill("SIGINT");
      assert.equal(await exitOf(serve), 0, "SIGINT drains every worker and the primary exits 0");
    } finally {
      await kill(serve);
    }
  }
});

test("Redis unreachable: serve starts with its own keys, says so once, and serves", async (t) => {
  if (!requireRedis(t)) return;
  const port = await freePort();
  const serve = await startServe(["--echo", "--ticket-keys", `redis://:secret@127.0.0.1:${port}`], dir.path);
  try {
    await waitFor(
      serve.stdout,
      /ticket keys: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)/,
    );
    const visit = resumingClient(readFileSync(serve.caFile), "localhost");
    assert.deepEqual([await visit(serve.port), await visit(serve.port)], [false, true]);
    assert.equal(serve.stdout().match(/unreachable/g)?.length, 1);
    assert.doesNotMatch(serve.stdout() + serve.stderr(), /secret/);
  } finally {
    await kill(serve);
  }
});

test("bad --ticket-keys and --workers values are usage errors", async () => {
  for (const [args, message] of [
    [
      ["--ticket-keys", "http://127.0.0.1:6379"],
      /--ticket-keys: "http:\/\/127\.0\.0\.1:6379" is not a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [["--ticket-rotation", "60"], /need --ticket-keys/],
    [
      ["--ticket-keys", "redis://127.0.0.1:1", "--ticket-rotation", "0"],
      /--ticket-rotation: "0" is not a number of seconds/,
    ],
    [["--workers", "0"], /--workers: "0" is not a count/],
  ] as const) {
    const result = await runProcess(process.execPath, [cli, "serve", "--port", "0", ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});

test("--workers on a port in use: every worker says why and exits, then the primary exits 1", async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  try {
    const port = String((taken.address() as AddressInfo).port);
    const result = await runProcess(process.execPath, [cli, "serve", "--workers", "2", "--port", port]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.match(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/g)?.length, 2);
    assert.match(result.stdout, /worker \d+ exited \(code 1\)/);
  } finally {
    taken.close();
  }
});
