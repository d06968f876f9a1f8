/**
 * Backpressure of the first engine's worker pool (`engine: "node-tls"`), seen through the SSPI
 * surface: with `queueDepth: 1`, a second asynchronous call
 * that reaches a busy worker is still queued (`SEC_E_OK`) and completes with
 * `SEC_E_INSUFFICIENT_MEMORY` and a reason; the blocking form returns the same status.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  SEC_E_INSUFFICIENT_MEMORY,
  SEC_E_OK,
  SEC_I_ASYNC_CALL_PENDING,
  SEC_I_CONTINUE_NEEDED,
  SspiGetAsyncCallStatus,
  SspiGetLastErrorInfo,
} from "../../src/index.js";
import { configureSecurityService } from "../../src/service/configure.js";
import { acquire, type Pki, pki, SECPKG_CRED_OUTBOUND } from "../blocking/memory-handshake.js";
import { queueClientHello } from "../support/sspi-driver.js";

let keys: Pki;
before(async () => {
  keys = await pki();
});

test("a full worker queue: queued with SEC_E_OK, completes with SEC_E_INSUFFICIENT_MEMORY", async () => {
  assert.equal(configureSecurityService({ engine: "node-tls", workers: 1, queueDepth: 1 }), SEC_E_OK);
  const cred = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const calls = [0, 1, 2].map(() => queueClientHello(cred));
  for (const c of calls) {
    assert.equal(c.queued, SEC_E_OK, "queueing never fails for backpressure");
    assert.equal(SspiGetAsyncCallStatus(c.asyncContext), SEC_I_ASYNC_CALL_PENDING);
  }
  await Promise.all(calls.map((c) => c.done));
  const statuses = calls.map((c) => SspiGetAsyncCallStatus(c.asyncContext));
  assert.ok(statuses.includes(SEC_I_CONTINUE_NEEDED), "the first call got through");
  const refused = calls.filter((c) => SspiGetAsyncCallStatus(c.asyncContext) === SEC_E_INSUFFICIENT_MEMORY);
  assert.ok(refused.length >= 1, `statuses: ${statuses.map((s) => (s >>> 0).toString(16))}`);
  const info = SspiGetLastErrorInfo(refused[0]!.asyncContext);
  assert.equal(info?.statusName, "SEC_E_INSUFFICIENT_MEMORY");
  assert.match(
    info?.reason ?? "",
    /security service queue full: 1 requests in flight on worker 0 \(queueDepth 1\)/,
  );
});
