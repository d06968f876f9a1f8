/**
 * Issue 10, defect 6 (API side): the key log the API writes (`openKeyLogFile`, the `keyLog`
 * callback of `acquireTlsCredentials`) is created 0600 and never through a symbolic link. A real
 * handshake with Node's `tls` fills it.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import tls from "node:tls";
import { connectTls } from "../../src/api/connect.js";
import { openKeyLogFile } from "../../src/api/key-log-file.js";
import { pki } from "./fixtures.js";

test("defect 6, key log file: openKeyLogFile creates it 0600, a handshake fills it, a symbolic link is refused", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "async-sspi-keylog-"));
  const p = await pki();
  const server = tls.createServer({ cert: p.server.certificate, key: p.server.privateKey });
  server.on("secureConnection", (s) => s.end("hi"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const path = join(dir, "keys.log");
    const keyLog = openKeyLogFile(path);
    assert.equal((statSync(path).mode & 0o777).toString(8), "600");
    const stream = await connectTls({
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      serverName: "server.test",
      trustedRoots: [p.ca.certificate],
      keyLog,
    });
    stream.resume();
    await once(stream, "end");
    keyLog.close();
    assert.match(
      readFileSync(path, "utf8"),
      /^(CLIENT_RANDOM|CLIENT_TRAFFIC_SECRET_0) [0-9a-f]{64} [0-9a-f]+$/m,
    );
    const target = join(dir, "target");
    writeFileSync(target, "precious\n");
    const link = join(dir, "link.log");
    symlinkSync(target, link);
    assert.throws(() => openKeyLogFile(link), { code: "ELOOP" });
    assert.equal(readFileSync(target, "utf8"), "precious\n");
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
