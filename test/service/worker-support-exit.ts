/**
 * Child process of worker-pool-lifecycle.test: starts a pool through the default security service,
 * runs a handshake step without awaiting it at top level, never disposes. The process must exit
 * on its own once the work is done.
 */
import { WorkerPoolHost } from "../../src/service/worker-pool-host.js";
import { certificates, clientConfig, serverConfig } from "./worker-support.js";

const certs = await certificates();
const host = new WorkerPoolHost({ workers: 2 });
const sc = await host.acquireCredential(serverConfig(certs));
const cc = await host.acquireCredential(clientConfig(certs));
const client = await host.createContext(cc.credentialId!, {
  role: "client",
  serverName: "localhost",
  manualValidation: false,
  noServerNameCheck: false,
});
// Not awaited: the in-flight request alone must keep the process alive until it answers.
void host.step(client.contextId!, new Uint8Array(0)).then((r) => {
  process.stdout.write(`handshake ${sc.status} ${r.status === 0x00090312 ? 0 : r.status}\n`);
});
