/**
 * Issue 10, defect 5: `serve` had no idle timeout and no connection cap after the handshake (an
 * idle established connection stayed open indefinitely). `--idle-timeout SECONDS` and
 * `--max-connections N`, against Node's `tls` clients on loopback.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import tls from "node:tls";
import {
  cli,
  kill,
  type RunningServe,
  runProcess,
  serveClientOptions,
  startServe,
  tempDir,
  waitFor,
} from "./serve-support.js";

/** A Node `tls` client of `serve`, connected (handshake done). */
async function client(serve: RunningServe): Promise<tls.TLSSocket> {
  const socket = tls.connect(serveClientOptions(serve));
  socket.on("error", () => {});
  await once(socket, "secureConnect");
  return socket;
}

/** Resolves with how the socket ended: "end" (the server's close_notify and FIN) or "close". */
function ending(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    socket.once("end", () => resolve("end"));
    socket.once("close", () => resolve("close"));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("defect 5, an idle established connection stayed open forever: serve --idle-timeout 1 sends close_notify to an idle client; an active one stays", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  const sockets: tls.TLSSocket[] = [];
  try {
    serve = await startServe(["--http", "--idle-timeout", "1"], dir.path);
    const idle = await client(serve);
    sockets.push(idle);
    const active = await client(serve);
    sockets.push(active);
    const idleEnded = ending(idle);
    let activeEnded = false;
    void ending(active).then(() => {
      activeEnded = true;
    });
    let answers = 0;
    active.on("data", (d: Buffer) => {
      answers += d.toString().split("HTTP/1.1 200 OK").length - 1;
    });
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      active.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await sleep(400);
    }
    assert.equal(await Promise.race([idleEnded, sleep(10_000).then(() => "still open")]), "end");
    assert.ok(Date.now() - started < 10_000);
    assert.equal(activeEnded, false, "the active connection is kept");
    assert.ok(answers >= 5, `${answers} answers on the active connection`);
    await waitFor(serve.stdout, /#1 .*idle timeout \(1 s\)/, 10_000, "serve's log");
  } finally {
    for (const s of sockets) s.destroy();
    await kill(serve);
    dir.remove();
  }
});

test("defect 5, no connection cap: serve --max-connections 2 refuses a third connection while two are open, and accepts again after one closed", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  const sockets: tls.TLSSocket[] = [];
  try {
    serve = await startServe(["--echo", "--max-connections", "2"], dir.path);
    const first = await client(serve);
    sockets.push(first);
    sockets.push(await client(serve));
    const third = tls.connect(serveClientOptions(serve));
    sockets.push(third);
    const outcome = await new Promise<string>((resolve) => {
      third.once("secureConnect", () => resolve("secure"));
      third.once("error", (e: Error & { code?: string }) => resolve(e.code ?? e.message));
    });
    assert.notEqual(outcome, "secure", "the third connection was refused");
    await waitFor(serve.stdout, /refused: 2 connections open \(--max-connections\)/, 10_000, "serve's log");
    first.end();
    await waitFor(serve.stdout, /#1 /, 10_000, "serve's log");
    const fourth = await client(serve);
    sockets.push(fourth);
    fourth.write("ping");
    const [echo] = (await once(fourth, "data")) as [Buffer];
    assert.equal(echo.toString(), "ping");
  } finally {
    for (const s of sockets) s.destroy();
    await kill(serve);
    dir.remove();
  }
});

test("serve --help documents --idle-timeout and --max-connections; bad values are usage errors", async () => {
  const help = await runProcess(process.execPath, [cli, "serve", "--help"]);
  assert.match(help.stdout, /--idle-timeout SECONDS .*\(default 120; 0: never\)/s);
  assert.match(help.stdout, /--max-connections N .*\(default 1024\)/);
  for (const bad of [
    ["--idle-timeout", "soon"],
    ["--idle-timeout", "-1"],
    ["--max-connections", "0"],
    ["--max-connections", "many"],
  ]) {
    const r = await runProcess(process.execPath, [cli, "serve", "--port", "0", ...bad]);
    assert.equal(r.code, 2, `${bad.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(bad[0]!));
  }
});
