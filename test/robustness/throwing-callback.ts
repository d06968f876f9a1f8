/**
 * Child process of misuse.test.ts: a notify callback throws. The exception surfaces as an
 * uncaught exception (caught here by the process handler), the call's status stays readable,
 * the async context is reusable after reinit, and another context keeps working.
 */
import {
  box,
  CtxtHandle,
  handleStatistics,
  SEC_I_ASYNC_CALL_PENDING,
  SECBUFFER_TOKEN,
  SspiCreateAsyncContext,
  SspiDeleteSecurityContextAsync,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiInitializeSecurityContextAsync,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import {
  acquire,
  memoryHandshake,
  pki,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
} from "../blocking/memory-handshake.js";
import { decryptOnce, encrypt } from "../support/sspi-driver.js";
import { ISC_FLAGS } from "./support.js";

// `node --test dist/test/` also loads every file under a `test` folder: only run when spawned.
if (process.env.ROBUSTNESS_CHILD !== "1") process.exit(0);

const watchdog = setTimeout(() => {
  console.log("timeout");
  process.exit(2);
}, 20_000);
const p = await pki();
const client = await acquire("async", SECPKG_CRED_OUTBOUND, p.client);
const server = await acquire("async", SECPKG_CRED_INBOUND, p.server);
const other = await memoryHandshake(client, server, () => "async");
const uncaught = new Promise<void>((resolve) => {
  process.on("uncaughtException", (e) => {
    console.log(`uncaught: ${e.message}`);
    resolve();
  });
});
const ctx = SspiCreateAsyncContext();
const c = new CtxtHandle();
SspiSetAsyncNotifyCallback(ctx, () => {
  throw new Error("thrown from the notify callback");
});
SspiInitializeSecurityContextAsync(
  ctx,
  client,
  null,
  "server.test",
  ISC_FLAGS,
  0,
  0,
  null,
  0,
  c,
  secBufferDesc(secBuffer(SECBUFFER_TOKEN)),
  box(0),
  null,
);
await uncaught;
console.log(`status after throw: ${statusName(SspiGetAsyncCallStatus(ctx))}`);
SspiSetAsyncNotifyCallback(ctx, null);
SspiReinitAsyncContext(ctx);
SspiDeleteSecurityContextAsync(ctx, c);
while (SspiGetAsyncCallStatus(ctx) === SEC_I_ASYNC_CALL_PENDING) await new Promise((r) => setImmediate(r));
console.log(`reused: ${statusName(SspiGetAsyncCallStatus(ctx))}`);
SspiFreeAsyncContext(ctx);
console.log(
  `other context: ${statusName(decryptOnce(other.server, encrypt(other.client, new Uint8Array([7]))).status)}`,
);
await sspi.DeleteSecurityContext(other.client);
await sspi.DeleteSecurityContext(other.server);
await sspi.FreeCredentialsHandle(client);
await sspi.FreeCredentialsHandle(server);
console.log(`live contexts: ${handleStatistics().liveContexts}`);
clearTimeout(watchdog);
process.exit(0);
