/**
 * Issue 12: the pool's workers inherited the parent's Node flags, so a program run as
 * `node --input-type=module -e '…'` failed with "security service worker died: --input-type can
 * only be used with string input". The workers' execArgv is now chosen explicitly.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const index = new URL("../../src/index.js", import.meta.url).href;

test("node --input-type=module -e '…' acquires credentials and completes a handshake on the worker pool", () => {
  const program = `
    import { acquireTlsCredentials, TlsContext } from ${JSON.stringify(index)};
    const client = await acquireTlsCredentials({ role: "client" });
    const context = new TlsContext(client, { serverName: "example.test" });
    const step = await context.step();
    console.log("hello bytes", step.output.byteLength > 0);
    await context.close();
    await client.close();
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /hello bytes true/);
});
