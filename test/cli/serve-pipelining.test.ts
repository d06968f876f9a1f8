/**
 * Issue 10, defect 2 (serve side): one client that pipelines requests and never reads took
 * `serve --http` down for everyone (every response was produced at once, then `_writev` spread
 * them as arguments: stack overflow; before that, hundreds of MiB of queued responses). `serve`
 * runs in its own process, so a regression fails this test instead of killing the runner.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import tls from "node:tls";
import {
  getPage,
  kill,
  type RunningServe,
  residentBytes,
  serveClientOptions,
  startServe,
  tempDir,
} from "./serve-support.js";

const MIB = 1024 * 1024;
const REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

/** `size` bytes of pipelined requests, in 64 KiB chunks. */
function pipelinedRequests(size: number): Buffer[] {
  const chunk = Buffer.from(REQUEST.repeat(Math.floor(65536 / REQUEST.length)));
  const chunks: Buffer[] = [];
  for (let n = 0; n < size; n += chunk.byteLength) chunks.push(chunk);
  return chunks;
}

test("defect 2, one client takes serve --http down: a non-reading client pipelining 5 MiB of GETs; RSS grows < 64 MB and another client is served throughout", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir();
  let serve: RunningServe | null = null;
  let flood: tls.TLSSocket | null = null;
  try {
    serve = await startServe(["--http"], dir.path);
    const pid = serve.child.pid!;
    assert.match(await getPage(serve), /^HTTP\/1\.1 200 OK/); // warm: the baseline includes a served connection
    const baseline = residentBytes(pid);

    flood = tls.connect(serveClientOptions(serve));
    flood.on("error", () => {});
    await once(flood, "secureConnect");
    flood.pause(); // never reads a response
    for (const chunk of pipelinedRequests(5 * MIB)) flood.write(chunk);

    let peak = baseline;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, residentBytes(pid));
      } catch {
        // the process is gone: the assertions below say so
      }
    }, 50);
    try {
      // A well-behaved client, served again and again while the flood is pending (about 6 s).
      for (let i = 0; i < 8; i++) {
        assert.equal(serve.child.exitCode, null, `serve died:\n${serve.stderr().slice(-2000)}`);
        const page = await getPage(serve, 15_000);
        assert.match(page, /^HTTP\/1\.1 200 OK/, `request ${i} of the well-behaved client`);
        await new Promise((resolve) => setTimeout(resolve, 750));
      }
    } finally {
      clearInterval(sampler);
    }
    assert.equal(serve.child.exitCode, null, `serve died:\n${serve.stderr().slice(-2000)}`);
    assert.doesNotMatch(serve.stderr(), /Maximum call stack size exceeded/);
    const growth = peak - baseline;
    t.diagnostic(`serve's RSS: ${(baseline / MIB).toFixed(1)} MiB, peak +${(growth / MIB).toFixed(1)} MiB`);
    assert.ok(growth < 64 * MIB, `serve's RSS grew by ${(growth / MIB).toFixed(1)} MiB (limit 64 MiB)`);
  } finally {
    flood?.destroy();
    await kill(serve);
    dir.remove();
  }
});
