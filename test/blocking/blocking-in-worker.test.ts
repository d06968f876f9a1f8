/**
 * Code ported from C with a synchronous loop works unchanged inside a worker thread: the worker
 * runs a whole handshake and a record with the blocking functions only (it has its own security
 * service, whose pool it starts and which lets it exit).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { createCertificateAuthority, issueCertificate } from "../../src/devcert/certificates.js";

test("a synchronous SSPI handshake loop inside a worker thread", async () => {
  const ca = await createCertificateAuthority({ commonName: "sync loop CA" });
  const leaf = await issueCertificate(ca, { commonName: "server.test" });
  const worker = new Worker(new URL("./sync-loop-worker.js", import.meta.url), {
    workerData: { caPem: ca.certificate, certificate: leaf.certificate, privateKey: leaf.privateKey },
  });
  const [result] = (await once(worker, "message")) as [{ trace: number[]; text: string }];
  const [code] = await once(worker, "exit");
  assert.equal(code, 0, "the worker exits on its own (its pool is unref'd)");
  assert.deepEqual(
    result.trace.map((s) => (s >>> 0).toString(16)),
    ["0", "0", "90312", "90312", "0", "0", "0", "0", "0", "0", "0"],
  );
  assert.equal(result.text, "ping");
});
