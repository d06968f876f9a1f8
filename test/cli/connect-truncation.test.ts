/**
 * Issue 10, defect 3 (CLI side): `async-sspi connect` exits 1 and says "truncated" when the
 * server's close_notify never came. A real man-in-the-middle (a TCP proxy on loopback that
 * sends FIN after about 60 kB of a 200 kB answer, at a record boundary or inside a record)
 * sits between `connect` and Node's `tls` server; with stdin ended at once (our close_notify
 * goes first) and with stdin still open.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import tls from "node:tls";
import { createDevelopmentCertificate } from "../../src/devcert/certificates.js";
import { type CutAt, truncatingProxy } from "../support/truncating-proxy.js";
import { cli, exitOf, kill, runProcess, spawnCli, tempDir } from "./serve-support.js";

const ANSWER = Buffer.alloc(200_000, "a");

/** Node's `tls` server answering every client with 200,000 bytes, then close_notify. */
async function withNodeServer(body: (port: number, caFile: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const { ca, server: cert } = await createDevelopmentCertificate();
  const caFile = join(dir.path, "ca.pem");
  writeFileSync(caFile, ca.certificate);
  const server = tls.createServer({ cert: cert.certificate, key: cert.privateKey });
  server.on("secureConnection", (s) => {
    s.on("error", () => {});
    s.end(ANSWER);
  });
  server.on("tlsClientError", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    await body((server.address() as AddressInfo).port, caFile);
  } finally {
    server.close();
    dir.remove();
  }
}

const args = (port: number, caFile: string) => [
  "connect",
  `127.0.0.1:${port}`,
  "--servername",
  "localhost",
  "--ca",
  caFile,
];

test('defect 3, connect and a truncated connection: exit 1 and "truncated" when the server\'s close_notify never came', {
  timeout: 120_000,
}, async () => {
  await withNodeServer(async (port, caFile) => {
    for (const at of ["record-boundary", "mid-record"] as CutAt[]) {
      // stdin ended at once: our close_notify goes first.
      let proxy = await truncatingProxy(port, 60_000, at);
      try {
        const r = await runProcess(process.execPath, [cli, ...args(proxy.port, caFile)], {
          timeoutMs: 60_000,
          env: { ...process.env, NO_COLOR: "1" },
        });
        assert.equal(r.code, 1, `${at}, stdin ended: ${r.stderr.slice(-1500)}`);
        assert.match(r.stderr, /truncated/, `${at}, stdin ended`);
        assert.ok(r.stdout.length < ANSWER.byteLength, `${at}: ${r.stdout.length} bytes on stdout`);
      } finally {
        await proxy.close();
      }
      // stdin still open: the server's end comes first.
      proxy = await truncatingProxy(port, 60_000, at);
      const p = spawnCli(args(proxy.port, caFile));
      try {
        const code = await exitOf(p, 60_000);
        assert.equal(code, 1, `${at}, stdin open: ${p.stderr().slice(-1500)}`);
        assert.match(p.stderr(), /truncated/, `${at}, stdin open`);
      } finally {
        await kill(p);
        await proxy.close();
      }
    }
    // Without the man-in-the-middle the server's close_notify arrives: exit 0.
    const r = await runProcess(process.execPath, [cli, ...args(port, caFile)], {
      timeoutMs: 60_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    assert.equal(r.code, 0, r.stderr.slice(-1500));
    assert.equal(r.stdout.length, ANSWER.byteLength);
    assert.doesNotMatch(r.stderr, /truncated/);
  });
});
