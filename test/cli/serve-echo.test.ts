/** `async-sspi serve --echo` over openssl s_client, and the SIGTERM/SIGINT drain. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  exitOf,
  kill,
  type RunningServe,
  requireBinary,
  type Spawned,
  spawnProcess,
  startServe,
  tempDir,
  waitFor,
} from "./serve-support.js";

const OPENSSL = "apt-get install -y openssl";

/** An interactive `openssl s_client -msg` (protocol messages, then the data, on stdout). */
function sClient(serve: RunningServe, extra: string[] = []): Spawned {
  return spawnProcess("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${serve.port}`,
    "-servername",
    "localhost",
    "-CAfile",
    serve.caFile,
    "-verify_return_error",
    "-msg",
    "-ign_eof",
    ...extra,
  ]);
}

test("serve --echo echoes over openssl s_client, TLS 1.3 and TLS 1.2", { timeout: 60_000 }, async (t) => {
  if (!requireBinary(t, "openssl", OPENSSL)) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  const clients: Spawned[] = [];
  try {
    serve = await startServe(["--echo"], dir.path);
    for (const [flag, version] of [
      ["-tls1_3", "TLS 1.3"],
      ["-tls1_2", "TLS 1.2"],
    ] as const) {
      const client = sClient(serve, [flag]);
      clients.push(client);
      await waitFor(client.stdout, /Verify return code: 0 \(ok\)/, 20_000, "s_client");
      client.child.stdin!.write(`hello ${version} echo\n`);
      await waitFor(client.stdout, new RegExp(`\\nhello ${version} echo\\n`), 20_000, "s_client");
      client.child.stdin!.write("second line\n");
      await waitFor(client.stdout, /\nsecond line\n/, 20_000, "s_client");
      client.child.kill("SIGTERM");
      await exitOf(client);
    }
    const lines = await waitFor(serve.stdout, /#2 .*\n/, 20_000, "serve's log");
    assert.ok(lines);
    const log = serve.stdout();
    assert.match(log, /#1 127\.0\.0\.1:\d+ TLSv1\.3 .* in=\d+B out=\d+B/);
    assert.match(log, /#2 127\.0\.0\.1:\d+ TLSv1\.2 .* in=\d+B out=\d+B/);
  } finally {
    for (const c of clients) await kill(c);
    await kill(serve);
    dir.remove();
  }
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} drains: every connection gets close_notify, one log line each, exit 0`, {
    timeout: 60_000,
  }, async (t) => {
    if (!requireBinary(t, "openssl", OPENSSL)) return;
    const dir = tempDir();
    let serve: RunningServe | null = null;
    const clients: Spawned[] = [];
    try {
      serve = await startServe(["--echo"], dir.path);
      for (let i = 0; i < 3; i++) {
        const client = sClient(serve);
        clients.push(client);
        await waitFor(client.stdout, /Verify return code: 0 \(ok\)/, 20_000, "s_client");
        client.child.stdin!.write(`client ${i}\n`);
        await waitFor(client.stdout, new RegExp(`\\nclient ${i}\\n`), 20_000, "s_client");
      }
      serve.child.kill(signal);
      assert.equal(await exitOf(serve, 30_000), 0, serve.stdout() + serve.stderr());
      const log = serve.stdout();
      assert.match(log, new RegExp(`${signal}: draining 3 connection\\(s\\)`));
      for (let id = 1; id <= 3; id++)
        assert.match(
          log,
          new RegExp(
            `#${id} 127\\.0\\.0\\.1:\\d+ TLSv1\\.3 .* server shutdown: close_notify sent and answered`,
          ),
        );
      assert.match(log, /\nstopped\n/);
      for (const client of clients) {
        // s_client saw the server's close_notify alert and answered with its own.
        await waitFor(
          client.stdout,
          /<<< TLS 1\.3, Alert \[length 0002\], warning close_notify/,
          20_000,
          "s_client",
        );
        await exitOf(client);
        assert.match(client.stdout(), />>> TLS 1\.3, Alert \[length 0002\], warning close_notify/);
      }
    } finally {
      for (const c of clients) await kill(c);
      await kill(serve);
      dir.remove();
    }
  });
}
