/**
 * Issue 12, CLI nits, each failing before its fix: `connect` hung forever on a silent port;
 * `--insecure` still advised "--ca FILE or --insecure"; `serve` generated the development
 * certificate before reporting EADDRINUSE; the printed `try:` command lacked the client
 * certificate `--client-ca` requires; `--reconnect` waited 2 s per resumed connection.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { createCertificateAuthority, issueCertificate } from "../../src/devcert/certificates.js";
import { closeServer } from "../support/peers.js";
import {
  cli,
  kill,
  type RunningServe,
  requireBinary,
  runProcess,
  startServe,
  tempDir,
} from "./serve-support.js";

test("connect --timeout: a port that accepts and never answers fails after the timeout, exit 1", async () => {
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    const started = performance.now();
    const r = await runProcess(process.execPath, [cli, "connect", `127.0.0.1:${port}`, "--timeout", "1"], {
      timeoutMs: 15_000,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no TLS handshake with 127\.0\.0\.1:\d+ within 1 s \(--timeout\)/);
    assert.ok(performance.now() - started < 10_000);
  } finally {
    for (const s of held) s.destroy();
    await closeServer(silent);
  }
});

test("connect --insecure never advises --insecure", async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    serve = await startServe([], dir.path);
    const r = await runProcess(process.execPath, [cli, "connect", `localhost:${serve.port}`, "--insecure"], {
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /would have failed without --insecure/);
    assert.match(
      r.stderr,
      /SEC_E_UNTRUSTED_ROOT: the server's chain ends in an untrusted root — pass --ca FILE\n/,
    );
    assert.doesNotMatch(r.stderr, /or --insecure/);
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("serve reports EADDRINUSE before generating the development certificate", async () => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await runProcess(process.execPath, [cli, "serve", "--port", String(port)], {
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.doesNotMatch(r.stdout, /development certificate/);
  } finally {
    await closeServer(busy);
  }
});

test("the printed try: command works with --client-ca (curl with the client certificate)", async (t) => {
  if (!requireBinary(t, "curl", "apt-get install -y curl")) return;
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    const clientCa = await createCertificateAuthority({ commonName: "try client CA" });
    const client = await issueCertificate(clientCa, { commonName: "alice", usage: "client" });
    writeFileSync(join(dir.path, "client-ca.pem"), clientCa.certificate);
    writeFileSync(join(dir.path, "client.pem"), client.certificate);
    writeFileSync(join(dir.path, "client.key"), client.privateKey);
    serve = await startServe(["--client-ca", join(dir.path, "client-ca.pem")], dir.path);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const command = /try: (curl .*)$/m.exec(serve.stdout())?.[1];
    assert.ok(command, serve.stdout());
    assert.match(command, /--cert client\.pem --key client\.key/);
    const r = await runProcess("sh", ["-c", `cd '${dir.path}' && ${command} -sS -m 10`], {
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CN=alice/);
  } finally {
    await kill(serve);
    dir.remove();
  }
});

test("connect --reconnect 3 against serve does not wait 2 s per resumed connection", async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  try {
    serve = await startServe([], dir.path);
    const started = performance.now();
    const r = await runProcess(
      process.execPath,
      [cli, "connect", `localhost:${serve.port}`, "--ca", serve.caFile, "--reconnect", "3"],
      { timeoutMs: 30_000 },
    );
    const elapsed = performance.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stderr.match(/resumed: yes/g) ?? []).length, 3);
    assert.doesNotMatch(r.stderr, /within 2 s/);
    assert.ok(elapsed < 5000, `took ${Math.round(elapsed)} ms`);
  } finally {
    await kill(serve);
    dir.remove();
  }
});
