/**
 * configureSecurityService: defaults (the native engine), bad options, the first engine only when
 * asked for (`engine: "node-tls"`), its `workers: 0` (in-thread host for asynchronous
 * calls, blocking calls still on a worker), and reconfiguring after contexts exist (new
 * credentials only; the replaced pool shuts down after its last credential and context).
 */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { before, test } from "node:test";
import {
  box,
  CtxtHandle,
  ISC_REQ_ALLOCATE_MEMORY,
  SEC_E_INVALID_PARAMETER,
  SEC_E_OK,
  SEC_E_UNSUPPORTED_FUNCTION,
  SECBUFFER_TOKEN,
  SspiGetLastErrorInfo,
  secBuffer,
  secBufferDesc,
  promises as sspi,
} from "../../src/index.js";
import { configureSecurityService, securityServiceConfiguration } from "../../src/service/configure.js";
import { engineOperationsOnThisThread, InThreadEngineHost } from "../../src/service/in-thread-host.js";
import { NativeEngineHost } from "../../src/service/native-host.js";
import { blockingSecurityService, securityService } from "../../src/service/security-service.js";
import { WorkerPoolHost } from "../../src/service/worker-pool-host.js";
import {
  DeleteSecurityContext,
  FreeCredentialsHandle,
  InitializeSecurityContext,
} from "../../src/sspi/blocking-calls.js";
import {
  acquire,
  memoryHandshake,
  type Pki,
  pki,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
} from "../blocking/memory-handshake.js";

let keys: Pki;
before(async () => {
  keys = await pki();
});

test("defaults and invalid options (nothing changes)", () => {
  assert.deepEqual(securityServiceConfiguration(), {
    workers: Math.max(1, availableParallelism() - 1),
    queueDepth: 8192,
    blockingTimeoutMs: 30_000,
    engine: "native",
  });
  assert.ok(securityService() instanceof NativeEngineHost, "the native engine by default");
  for (const bad of [
    { workers: -1 },
    { workers: 1.5 },
    { queueDepth: 0 },
    { blockingTimeoutMs: 0 },
    { engine: "boringssl" },
    { engine: "node" },
    null,
  ]) {
    assert.equal(configureSecurityService(bad as never), SEC_E_INVALID_PARAMETER);
    assert.equal(SspiGetLastErrorInfo()?.operation, "configureSecurityService");
  }
  assert.equal(securityServiceConfiguration().queueDepth, 8192);
});

test("the first engine only when asked for; its default queueDepth follows the engine", () => {
  assert.equal(configureSecurityService({ engine: "node-tls" }), SEC_E_OK);
  assert.equal(securityServiceConfiguration().queueDepth, 256);
  assert.ok(securityService() instanceof WorkerPoolHost);
  assert.equal(configureSecurityService({ engine: "native" }), SEC_E_OK);
  assert.equal(securityServiceConfiguration().queueDepth, 8192);
  assert.ok(securityService() instanceof NativeEngineHost);
  assert.equal(configureSecurityService({ engine: "node-tls", queueDepth: 32 }), SEC_E_OK);
  assert.equal(securityServiceConfiguration().queueDepth, 32);
  assert.equal(configureSecurityService({ engine: "native" }), SEC_E_OK);
  assert.equal(securityServiceConfiguration().queueDepth, 32, "an explicit bound is kept");
  assert.equal(configureSecurityService({ queueDepth: 8192 }), SEC_E_OK);
});

test("workers: 0 — asynchronous calls run in this thread, blocking calls on an on-demand worker", async () => {
  assert.equal(configureSecurityService({ engine: "node-tls", workers: 0 }), SEC_E_OK);
  assert.ok(securityService() instanceof InThreadEngineHost);
  const before = engineOperationsOnThisThread();
  const clientAsync = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const serverAsync = await acquire("async", SECPKG_CRED_INBOUND, keys.server);
  const inThread = await memoryHandshake(clientAsync, serverAsync, () => "async");
  assert.equal(inThread.trace.at(-1), "server:0x0");
  assert.ok(engineOperationsOnThisThread().steps > before.steps, "the in-thread host ran the steps here");

  // Blocking calls: a one-worker pool, started on demand; its contexts continue asynchronously on it.
  const stepsBefore = engineOperationsOnThisThread().steps;
  const clientBlocking = await acquire("blocking", SECPKG_CRED_OUTBOUND, keys.client);
  const serverBlocking = await acquire("blocking", SECPKG_CRED_INBOUND, keys.server);
  assert.ok(blockingSecurityService() instanceof WorkerPoolHost);
  assert.equal((blockingSecurityService() as WorkerPoolHost).workers, 1);
  const mixed = await memoryHandshake(clientBlocking, serverBlocking, (_side, call) =>
    call === 0 ? "blocking" : "async",
  );
  assert.deepEqual(mixed.trace, inThread.trace);
  assert.equal(
    engineOperationsOnThisThread().steps,
    stepsBefore,
    "no step of the blocking credentials ran here",
  );

  // A credential of the in-thread host cannot serve a blocking call (its engines run here).
  const ctx = new CtxtHandle();
  const status = InitializeSecurityContext(
    clientAsync,
    null,
    "server.test",
    ISC_REQ_ALLOCATE_MEMORY,
    0,
    0,
    null,
    0,
    ctx,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
  assert.equal(status, SEC_E_UNSUPPORTED_FUNCTION);
  assert.match(SspiGetLastErrorInfo()?.reason ?? "", /in-thread security service/);
  for (const h of [inThread, mixed]) {
    assert.equal(DeleteSecurityContext(h.client), SEC_E_OK);
    assert.equal(await sspi.DeleteSecurityContext(h.server), SEC_E_OK);
  }
  if (ctx.dwLower !== 0 || ctx.dwUpper !== 0) DeleteSecurityContext(ctx);
  for (const c of [clientAsync, serverAsync, clientBlocking, serverBlocking])
    assert.equal(FreeCredentialsHandle(c), SEC_E_OK);
});

test("reconfiguring after contexts exist applies to new credentials only; the old pool shuts down when unused", async () => {
  assert.equal(configureSecurityService({ engine: "node-tls", workers: 1 }), SEC_E_OK);
  const oldPool = securityService();
  assert.ok(oldPool instanceof WorkerPoolHost);
  const clientOld = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const serverOld = await acquire("async", SECPKG_CRED_INBOUND, keys.server);
  const ctxClient = new CtxtHandle();
  const hello = await sspi.InitializeSecurityContext(
    clientOld,
    null,
    "server.test",
    ISC_REQ_ALLOCATE_MEMORY,
    0,
    0,
    null,
    0,
    ctxClient,
    secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
    box(0),
    null,
  );
  assert.equal(hello, 0x00090312);

  assert.equal(configureSecurityService({ workers: 2, queueDepth: 64 }), SEC_E_OK);
  const newPool = securityService();
  assert.ok(newPool instanceof WorkerPoolHost && newPool !== oldPool);
  assert.equal(newPool.workers, 2);
  assert.equal(newPool.queueDepth, 64);
  // The old credentials still work (a full handshake on the old pool), new ones use the new pool.
  const old = await memoryHandshake(clientOld, serverOld, () => "async");
  assert.equal(old.trace.at(-1), "server:0x0");
  const clientNew = await acquire("async", SECPKG_CRED_OUTBOUND, keys.client);
  const serverNew = await acquire("async", SECPKG_CRED_INBOUND, keys.server);
  const fresh = await memoryHandshake(clientNew, serverNew, () => "async");
  assert.deepEqual(fresh.trace, old.trace);
  // (An established server context has released its engine; the TLS 1.3 client keeps its own for tickets.)
  assert.ok(
    newPool.slotInfo().reduce((n, s) => n + s.contexts, 0) >= 1,
    "the new contexts live in the new pool",
  );

  assert.ok(
    oldPool.slotInfo().every((s) => s.threadId > 0),
    "the retired pool still serves its credentials",
  );
  for (const h of [old]) {
    await sspi.DeleteSecurityContext(h.client);
    await sspi.DeleteSecurityContext(h.server);
  }
  await sspi.DeleteSecurityContext(ctxClient);
  await sspi.FreeCredentialsHandle(clientOld);
  await sspi.FreeCredentialsHandle(serverOld);
  const stopped = () => oldPool.slotInfo().every((s) => s.threadId === -1);
  for (let i = 0; i < 200 && !stopped(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(stopped(), "the retired pool terminated its worker once unused");
  assert.ok(newPool.slotInfo().every((s) => s.threadId > 0));
  for (const h of [fresh]) {
    await sspi.DeleteSecurityContext(h.client);
    await sspi.DeleteSecurityContext(h.server);
  }
  await sspi.FreeCredentialsHandle(clientNew);
  await sspi.FreeCredentialsHandle(serverNew);
});
