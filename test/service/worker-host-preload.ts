/**
 * Preloaded (`node --import`) by worker-host-suites.test: configures the security service from
 * `ASYNC_SSPI_TEST_WORKERS` (on the first engine, `node-tls`, whose hosts these are) before a TLS test file runs, and at exit reports the engine steps this
 * thread ran (with a pool they must be 0: the hook behind "the main thread never runs a
 * handshake step").
 */
import { configureSecurityService } from "../../src/service/configure.js";
import { engineOperationsOnThisThread } from "../../src/service/in-thread-host.js";

const workers = Number(process.env.ASYNC_SSPI_TEST_WORKERS ?? "1");
configureSecurityService({ engine: "node-tls", workers });
process.on("exit", () => {
  const { steps, credentials } = engineOperationsOnThisThread();
  process.stderr.write(`\nmain-thread engine operations: steps=${steps} credentials=${credentials}\n`);
  if (workers > 0 && (steps > 0 || credentials > 0)) process.exitCode = 1;
});
