/**
 * With the defaults, the native host does not shed a normal burst: 2,000 handshakes started at
 * once (both ends in this process, every call asynchronous) all complete with SEC_E_OK — where
 * the first engine's worker pool refused most of them with SEC_E_INSUFFICIENT_MEMORY at its
 * default queue depth of 256 per worker.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { SEC_E_OK, promises as sspi } from "../../src/index.js";
import { securityServiceConfiguration } from "../../src/service/configure.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { securityService } from "../../src/service/security-service.js";
import {
  acquire,
  memoryHandshake,
  type Pki,
  pki,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
} from "../blocking/memory-handshake.js";

const BURST = 2000;

let keys: Pki;
before(async () => {
  keys = await pki();
});

test(`a burst of ${BURST} concurrent handshakes completes with the default queue bound`, {
  timeout: 180_000,
}, async () => {
  const host = securityService();
  assert.ok(host instanceof NativeEngineHost, "the default host");
  const { queueDepth } = securityServiceConfiguration();
  assert.ok(queueDepth >= 2 * BURST, `default queueDepth ${queueDepth} holds both ends of the burst`);
  const client = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const server = await acquire("async", SECPKG_CRED_INBOUND, keys.server);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, host.pendingStepCount);
  }, 1);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: BURST }, () => memoryHandshake(client, server, () => "async")),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const failed = results.filter((r) => !r.trace.includes("client:0x0") || r.trace.at(-1) !== "server:0x0");
  assert.equal(failed.length, 0, `${failed.length} of ${BURST} failed, e.g. ${failed[0]?.trace.join(" ")}`);
  assert.ok(peak > 256, `the burst really queued (peak ${peak} steps pending)`);
  console.log(`# ${BURST} handshakes in ${seconds.toFixed(1)} s, peak ${peak} steps pending`);
  for (const r of results) {
    assert.equal(await sspi.DeleteSecurityContext(r.client), SEC_E_OK);
    assert.equal(await sspi.DeleteSecurityContext(r.server), SEC_E_OK);
  }
  assert.equal(host.pendingStepCount, 0);
  assert.equal(await sspi.FreeCredentialsHandle(client), SEC_E_OK);
  assert.equal(await sspi.FreeCredentialsHandle(server), SEC_E_OK);
});
