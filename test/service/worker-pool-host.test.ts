/**
 * The worker-pool engine host: handshakes across workers, credentials built lazily per worker,
 * the blocking face, backpressure, crash recovery, clean shutdown.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { engineOperationsOnThisThread } from "../../src/service/in-thread-host.js";
import { WorkerPoolHost } from "../../src/service/worker-pool-host.js";
import {
  SEC_E_INSUFFICIENT_MEMORY,
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_E_UNKNOWN_CREDENTIALS,
  SEC_E_WRONG_CREDENTIAL_HANDLE,
  SEC_I_CONTINUE_NEEDED,
} from "../../src/sspi/status.js";
import { type Certificates, certificates, clientConfig, pump, serverConfig } from "./worker-support.js";

let certs: Certificates;
const pools: WorkerPoolHost[] = [];
function pool(options: ConstructorParameters<typeof WorkerPoolHost>[0]): WorkerPoolHost {
  const p = new WorkerPoolHost(options);
  pools.push(p);
  return p;
}

before(async () => {
  certs = await certificates();
});
after(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
});

async function pair(host: WorkerPoolHost, serverCred: number, clientCred: number) {
  const server = await host.createContext(serverCred, { role: "server", requestClientCertificate: false });
  const client = await host.createContext(clientCred, {
    role: "client",
    serverName: "localhost",
    manualValidation: false,
    noServerNameCheck: false,
  });
  assert.equal(server.status, SEC_E_OK, server.reason);
  assert.equal(client.status, SEC_E_OK, client.reason);
  return { server: server.contextId!, client: client.contextId! };
}

test("handshakes run in the workers; server contexts spread over the pool; the main thread runs no step", async () => {
  const before = engineOperationsOnThisThread();
  const host = pool({ workers: 2 });
  const sc = await host.acquireCredential(serverConfig(certs));
  const cc = await host.acquireCredential(clientConfig(certs));
  assert.equal(sc.status, SEC_E_OK, sc.reason);
  assert.equal(cc.status, SEC_E_OK, cc.reason);
  assert.deepEqual(sc.summary?.certificates[0]?.names, ["localhost"]);

  const pairs = [];
  for (let i = 0; i < 4; i++) pairs.push(await pair(host, sc.credentialId!, cc.credentialId!));
  const serverWorkers = new Set(pairs.map((p) => host.workerOfContext(p.server)));
  assert.equal(serverWorkers.size, 2, "server contexts of one credential use both workers");
  const results = await Promise.all(
    pairs.map((p) => pump((id, input) => host.step(id, input), p.client, p.server)),
  );
  for (const r of results) {
    assert.equal(r.client.status, SEC_E_OK, r.client.reason);
    assert.equal(r.server.status, SEC_E_OK, r.server.reason);
    assert.equal(r.client.handshake?.protocol, "TLSv1.3");
    assert.ok(r.client.handshake?.secrets?.clientTrafficSecret0 instanceof Uint8Array);
  }
  for (const p of pairs) {
    assert.equal(await host.deleteContext(p.client), SEC_E_OK);
    assert.equal(await host.deleteContext(p.server), SEC_E_OK);
  }
  assert.equal(await host.freeCredential(sc.credentialId!), SEC_E_OK);
  assert.equal(await host.freeCredential(cc.credentialId!), SEC_E_OK);
  assert.deepEqual(engineOperationsOnThisThread(), before, "no engine work on the caller's thread");
});

test("statuses: unknown ids, role mismatch, bad credential, free twice", async () => {
  const host = pool({ workers: 1 });
  assert.equal((await host.step(999, new Uint8Array(0))).status, SEC_E_INVALID_HANDLE);
  assert.equal(await host.deleteContext(999), SEC_E_INVALID_HANDLE);
  assert.equal(await host.freeCredential(999), SEC_E_INVALID_HANDLE);
  assert.equal(
    (await host.createContext(999, { role: "server", requestClientCertificate: false })).status,
    SEC_E_INVALID_HANDLE,
  );
  const bad = await host.acquireCredential(
    serverConfig(certs, { certificates: [{ certificate: certs.leaf.certificate, privateKey: "not a key" }] }),
  );
  assert.equal(bad.status, SEC_E_UNKNOWN_CREDENTIALS);
  assert.equal(bad.credentialId, undefined);
  const sc = await host.acquireCredential(serverConfig(certs));
  const wrong = await host.createContext(sc.credentialId!, {
    role: "client",
    serverName: null,
    manualValidation: true,
    noServerNameCheck: true,
  });
  assert.equal(wrong.status, SEC_E_WRONG_CREDENTIAL_HANDLE);
  assert.equal(await host.freeCredential(sc.credentialId!), SEC_E_OK);
  assert.equal(await host.freeCredential(sc.credentialId!), SEC_E_INVALID_HANDLE);
});

test("TLS 1.3 resumption works across workers (shared ticket keys)", async () => {
  const host = pool({ workers: 2 });
  const sc = await host.acquireCredential(serverConfig(certs));
  const cc = await host.acquireCredential(clientConfig(certs));
  const first = await pair(host, sc.credentialId!, cc.credentialId!);
  const r1 = await pump((id, input) => host.step(id, input), first.client, first.server);
  assert.equal(r1.client.status, SEC_E_OK);
  // Tickets follow the server's handshake output; hand them to the client engine.
  const tickets = await host.step(first.server, new Uint8Array(0));
  void tickets;
  const second = await pair(host, sc.credentialId!, cc.credentialId!);
  assert.notEqual(host.workerOfContext(first.server), host.workerOfContext(second.server));
  const r2 = await pump((id, input) => host.step(id, input), second.client, second.server);
  assert.equal(r2.server.status, SEC_E_OK, r2.server.reason);
});

test("blocking face: a whole handshake with Atomics.wait, and a context continued asynchronously", async () => {
  const host = pool({ workers: 2 });
  const b = host.blocking;
  const sc = b.acquireCredential(serverConfig(certs));
  const cc = b.acquireCredential(clientConfig(certs));
  assert.equal(sc.status, SEC_E_OK, sc.reason);
  const server = b.createContext(sc.credentialId!, { role: "server", requestClientCertificate: false });
  const client = b.createContext(cc.credentialId!, {
    role: "client",
    serverName: "localhost",
    manualValidation: false,
    noServerNameCheck: false,
  });
  // Client hello blocking, the rest asynchronous, then back to blocking.
  const hello = b.step(client.contextId!, new Uint8Array(0));
  assert.equal(hello.status, SEC_I_CONTINUE_NEEDED);
  const flight = await host.step(server.contextId!, hello.output);
  assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
  const fin = b.step(client.contextId!, flight.output);
  assert.equal(fin.status, SEC_E_OK, fin.reason);
  const done = b.step(server.contextId!, fin.output);
  assert.equal(done.status, SEC_E_OK, done.reason);
  assert.equal(b.deleteContext(client.contextId!), SEC_E_OK);
  assert.equal(b.deleteContext(server.contextId!), SEC_E_OK);
  assert.equal(b.deleteContext(server.contextId!), SEC_E_INVALID_HANDLE);
  assert.equal(b.freeCredential(sc.credentialId!), SEC_E_OK);
});

test("backpressure: a full queue refuses at once with SEC_E_INSUFFICIENT_MEMORY and a reason", async () => {
  const host = pool({ workers: 1, queueDepth: 1 });
  const sc = await host.acquireCredential(serverConfig(certs));
  const cc = await host.acquireCredential(clientConfig(certs));
  const a = await pair(host, sc.credentialId!, cc.credentialId!);
  const first = host.step(a.client, new Uint8Array(0));
  const second = await host.step(a.server, new Uint8Array(0));
  assert.equal(second.status, SEC_E_INSUFFICIENT_MEMORY);
  assert.match(second.reason ?? "", /queue full: 1 requests in flight on worker 0 \(queueDepth 1\)/);
  assert.equal((await first).status, SEC_I_CONTINUE_NEEDED);
  // Releasing calls are never refused, and the queue drains.
  const pending = host.step(a.client, new Uint8Array(0));
  assert.equal(await host.deleteContext(a.server), SEC_E_OK);
  await pending;
  for (let i = 0; i < 100 && host.slotInfo()[0]!.inFlight > 0; i++)
    await new Promise((r) => setTimeout(r, 5));
  assert.equal(host.slotInfo()[0]!.inFlight, 0);
});

for (const how of ["throw", "exit", "oom"] as const) {
  test(`crash recovery (${how}): pending calls fail, the worker's contexts die, others keep working`, async () => {
    const host = pool({ workers: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const sc = await host.acquireCredential(serverConfig(certs));
    const cc = await host.acquireCredential(clientConfig(certs));
    assert.equal(sc.status, SEC_E_OK, sc.reason);
    assert.equal(cc.status, SEC_E_OK, cc.reason);
    const p1 = await pair(host, sc.credentialId!, cc.credentialId!);
    const p2 = await pair(host, sc.credentialId!, cc.credentialId!);
    const victim = host.workerOfContext(p1.server)!;
    const survivor = host.workerOfContext(p2.server)!;
    assert.notEqual(victim, survivor);
    const threadBefore = host.slotInfo()[victim]!.threadId;
    const hello = await host.step(p1.client, new Uint8Array(0));
    const pending = host.step(p1.server, hello.output);
    const reason = await host.crashWorkerForTesting(victim, how);
    assert.match(reason, /^security service worker died: /);
    const failed = await pending;
    // The step may have finished before the crash; if not, it failed with the death reason.
    if (failed.status !== SEC_I_CONTINUE_NEEDED) {
      assert.equal(failed.status, SEC_E_INTERNAL_ERROR);
      assert.match(failed.reason ?? "", /security service worker died/);
    }
    const later = await host.step(p1.server, new Uint8Array(0));
    assert.equal(later.status, SEC_E_INTERNAL_ERROR);
    assert.match(later.reason ?? "", /security service worker died/);
    assert.equal(await host.deleteContext(p1.server), SEC_E_OK);
    assert.notEqual(host.slotInfo()[victim]!.threadId, threadBefore, "replaced");
    assert.equal(host.slotInfo()[victim]!.generation, 1);

    // The other worker's context is untouched.
    const r2 = await pump((id, input) => host.step(id, input), p2.client, p2.server);
    assert.equal(r2.server.status, SEC_E_OK, r2.server.reason);
    // New contexts on the replacement worker rebuild the credential there.
    const p3 = await pair(host, sc.credentialId!, cc.credentialId!);
    const p4 = await pair(host, sc.credentialId!, cc.credentialId!);
    const on = new Set([host.workerOfContext(p3.server), host.workerOfContext(p4.server)]);
    assert.ok(on.has(victim));
    for (const p of [p3, p4]) {
      const r = await pump((id, input) => host.step(id, input), p.client, p.server);
      assert.equal(r.server.status, SEC_E_OK, r.server.reason);
    }
  });
}

test("crash while a blocking call waits: it fails at once with SEC_E_INTERNAL_ERROR", async () => {
  const host = pool({ workers: 1 });
  const sc = host.blocking.acquireCredential(serverConfig(certs));
  const ctx = host.blocking.createContext(sc.credentialId!, {
    role: "server",
    requestClientCertificate: false,
  });
  await host.crashWorkerForTesting(0, "exit");
  // The pool noticed the exit; the context is dead, blocking calls say so without waiting.
  const started = Date.now();
  const r = host.blocking.step(ctx.contextId!, new Uint8Array(0));
  assert.equal(r.status, SEC_E_INTERNAL_ERROR);
  assert.ok(Date.now() - started < 1000);
  assert.equal(host.blocking.deleteContext(ctx.contextId!), SEC_E_OK);
  // A worker that dies during a blocking call wakes the caller (no message needed).
  const ctx2 = host.blocking.createContext(sc.credentialId!, {
    role: "server",
    requestClientCertificate: false,
  });
  assert.equal(ctx2.status, SEC_E_OK, ctx2.reason);
  host.crashWorkerForTesting(0, "exit").catch(() => undefined);
  const t0 = Date.now();
  const r2 = host.blocking.step(ctx2.contextId!, new Uint8Array(0));
  assert.ok(Date.now() - t0 < 5000);
  if (r2.status !== SEC_E_OK) {
    assert.equal(r2.status, SEC_E_INTERNAL_ERROR);
    assert.match(r2.reason ?? "", /security service worker died/);
  }
});
