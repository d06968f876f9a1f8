/**
 * Issue 10, defect 6: `--keylog FILE` was created world-readable (0644) and followed symbolic
 * links. Now: created 0600 (`O_NOFOLLOW`), an existing file tightened to 0600, a symbolic link
 * refused, for `serve` and `connect`, with real clients and servers on loopback.
 */
import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, getPage, kill, type RunningServe, runProcess, startServe, tempDir } from "./serve-support.js";

const modeOf = (path: string) => statSync(path).mode & 0o777;

test("defect 6, a world-readable key log: serve --keylog creates the file 0600 and writes the secrets there", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    const keylog = join(dir.path, "keys.log");
    serve = await startServe(["--keylog", keylog], dir.path);
    assert.match(await getPage(serve), /^HTTP\/1\.1 200 OK/);
    assert.equal(modeOf(keylog).toString(8), "600");
    assert.match(
      readFileSync(keylog, "utf8"),
      /^(CLIENT_RANDOM|SERVER_TRAFFIC_SECRET_0) [0-9a-f]{64} [0-9a-f]+$/m,
    );
    await kill(serve);
    // An existing, readable file is tightened; connect appends to it.
    chmodSync(keylog, 0o644);
    serve = await startServe([], dir.path);
    const r = await runProcess(
      process.execPath,
      [cli, "connect", `localhost:${serve.port}`, "--ca", serve.caFile, "--keylog", keylog],
      { timeoutMs: 30_000, env: { ...process.env, NO_COLOR: "1" } },
    );
    assert.equal(r.code, 0, r.stderr.slice(-1500));
    assert.equal(modeOf(keylog).toString(8), "600");
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("defect 6, a key log through a symbolic link: serve and connect refuse it and leave the target untouched", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    const target = join(dir.path, "someone-elses-file");
    writeFileSync(target, "precious\n");
    const link = join(dir.path, "keys.log");
    symlinkSync(target, link);
    const refused = await runProcess(process.execPath, [cli, "serve", "--port", "0", "--keylog", link], {
      timeoutMs: 30_000,
    });
    assert.equal(refused.code, 2, `serve: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /--keylog .*symbolic link/);
    serve = await startServe([], dir.path);
    const r = await runProcess(
      process.execPath,
      [cli, "connect", `localhost:${serve.port}`, "--ca", serve.caFile, "--keylog", link],
      { timeoutMs: 30_000, env: { ...process.env, NO_COLOR: "1" } },
    );
    assert.equal(r.code, 2, `connect: ${r.stderr}`);
    assert.match(r.stderr, /--keylog .*symbolic link/);
    assert.equal(readFileSync(target, "utf8"), "precious\n");
  } finally {
    await kill(serve);
    dir.remove();
  }
});
