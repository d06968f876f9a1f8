/**
 * The native host's queue bound through configureSecurityService: with `queueDepth: 1`, an
 * asynchronous call whose step finds one step already pending is still queued (`SEC_E_OK`) and
 * completes with `SEC_E_INSUFFICIENT_MEMORY` and a reason; the refused context is not consumed,
 * so the same call made again once the queue drained continues the handshake.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  SEC_E_INSUFFICIENT_MEMORY,
  SEC_E_OK,
  SEC_I_ASYNC_CALL_PENDING,
  SEC_I_CONTINUE_NEEDED,
  SspiGetAsyncCallStatus,
  SspiGetLastErrorInfo,
  promises as sspi,
} from "../../src/index.js";
import { configureSecurityService, securityServiceConfiguration } from "../../src/service/configure.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { securityService } from "../../src/service/security-service.js";
import { acquire, type Pki, pki, SECPKG_CRED_OUTBOUND } from "../blocking/memory-handshake.js";
import { queueClientHello } from "../support/sspi-driver.js";

let keys: Pki;
let defaultDepth: number;
before(async () => {
  keys = await pki();
  defaultDepth = securityServiceConfiguration().queueDepth;
});
after(() => {
  configureSecurityService({ queueDepth: defaultDepth });
});

test("a full native queue: queued with SEC_E_OK, completes with SEC_E_INSUFFICIENT_MEMORY and a reason", async () => {
  assert.equal(configureSecurityService({ queueDepth: 1 }), SEC_E_OK);
  assert.ok(securityService() instanceof NativeEngineHost);
  const cred = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const calls = [0, 1, 2, 3].map(() => queueClientHello(cred));
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
  assert.match(info?.reason ?? "", /security service queue full: 1 handshake steps pending \(queueDepth 1\)/);

  // Once the queue has drained, a new call goes through: the bound sheds, it does not stick.
  const again = queueClientHello(cred);
  await again.done;
  assert.equal(SspiGetAsyncCallStatus(again.asyncContext), SEC_I_CONTINUE_NEEDED);
  for (const c of [...calls, again])
    if (c.handle.dwLower !== 0 || c.handle.dwUpper !== 0) await sspi.DeleteSecurityContext(c.handle);
  assert.equal(await sspi.FreeCredentialsHandle(cred), SEC_E_OK);
});
