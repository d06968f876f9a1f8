/**
 * Worker-pool lifecycle: dispose leaves no workers or ports behind, and an idle pool never keeps
 * a process alive.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { WorkerPoolHost } from "../../src/service/worker-pool-host.js";
import {
  SEC_E_INTERNAL_ERROR,
  SEC_E_INVALID_HANDLE,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
} from "../../src/sspi/status.js";
import { type Certificates, certificates, clientConfig, serverConfig } from "./worker-support.js";

let certs: Certificates;
before(async () => {
  certs = await certificates();
});

const threadResources = () =>
  process.getActiveResourcesInfo().filter((r) => r === "Worker" || r === "MessagePort").length;

test("dispose: workers terminate, no resources left, later calls fail with SEC_E_INTERNAL_ERROR", async () => {
  const before = threadResources();
  const host = new WorkerPoolHost({ workers: 2 });
  assert.ok(threadResources() > before, "the pool's workers are active resources");
  const sc = await host.acquireCredential(serverConfig(certs));
  const cc = await host.acquireCredential(clientConfig(certs));
  const client = await host.createContext(cc.credentialId!, {
    role: "client",
    serverName: "localhost",
    manualValidation: false,
    noServerNameCheck: false,
  });
  assert.equal(client.status, SEC_E_OK);
  const stepping = host.step(client.contextId!, new Uint8Array(0));
  await host.dispose();
  const r = await stepping;
  assert.ok(r.status === SEC_I_CONTINUE_NEEDED || r.status === SEC_E_INTERNAL_ERROR);
  assert.equal((await host.step(client.contextId!, new Uint8Array(0))).status, SEC_E_INTERNAL_ERROR);
  assert.equal((await host.acquireCredential(serverConfig(certs))).status, SEC_E_INTERNAL_ERROR);
  assert.equal(host.blocking.acquireCredential(serverConfig(certs)).status, SEC_E_INTERNAL_ERROR);
  assert.equal(await host.deleteContext(client.contextId!), SEC_E_OK);
  // Like the in-thread host, dispose drops every credential.
  assert.equal(await host.freeCredential(sc.credentialId!), SEC_E_INVALID_HANDLE);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(threadResources(), before);
});

test("an idle pool does not keep the process alive (no dispose), a busy one finishes its work", () => {
  const script = fileURLToPath(new URL("./worker-support-exit.js", import.meta.url));
  const started = Date.now();
  const child = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 20_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /handshake 0 0/);
  assert.ok(Date.now() - started < 15_000);
});
