/**
 * The SSPI TLS tests on both hosts of the first engine (`engine: "node-tls"`; the default native
 * engine runs them in the main suite): each file runs in a child process configured with
 * `workers: 2` (worker pool) and `workers: 0` (in-thread host). With the pool, the preload also
 * checks that the main thread ran no engine step and built no credential (a hook, not timing).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const preload = new URL("./worker-host-preload.js", import.meta.url).href;
const suites = ["../schannel/sspi-node-tls.test.js", "../schannel/sspi-client-certificate.test.js"];

function runSuite(file: string, workers: number): Promise<{ code: number | null; out: string }> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, ASYNC_SSPI_TEST_WORKERS: String(workers) };
  delete env.NODE_TEST_CONTEXT; // a test runner of its own, not a subtest of ours
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", preload, "--test", "--test-reporter=tap", path], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

for (const workers of [2, 0]) {
  for (const suite of suites) {
    test(`${suite.split("/").at(-1)} passes with workers: ${workers}`, { timeout: 180_000 }, async () => {
      const { code, out } = await runSuite(suite, workers);
      assert.equal(code, 0, out.slice(-4000));
      assert.match(out, /# fail 0/);
      if (workers > 0) assert.match(out, /main-thread engine operations: steps=0 credentials=0/);
      else assert.doesNotMatch(out, /main-thread engine operations: steps=0 /);
    });
  }
}
