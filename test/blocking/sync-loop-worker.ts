/**
 * Runs inside a worker thread (blocking-in-worker.test): a C-style handshake loop with the
 * blocking functions only — no await, no callback — then one record each way, and posts the
 * statuses.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  AcceptSecurityContext,
  AcquireCredentialsHandle,
  ASC_REQ_ALLOCATE_MEMORY,
  box,
  CredHandle,
  CtxtHandle,
  DeleteSecurityContext,
  FreeContextBuffer,
  FreeCredentialsHandle,
  InitializeSecurityContext,
  ISC_REQ_ALLOCATE_MEMORY,
  SCH_CREDENTIALS_VERSION,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_EMPTY,
  SECBUFFER_TOKEN,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SecBufferDesc,
  secBuffer,
  secBufferDesc,
} from "../../src/index.js";
import { decryptOnce, encrypt } from "../support/sspi-driver.js";

// `node --test dist/test/` also loads every file under test/ as a test: outside a worker, do nothing.
if (parentPort === null) process.exit(0);
const { caPem, certificate, privateKey } = workerData as {
  caPem: string;
  certificate: string;
  privateKey: string;
};
const trace: number[] = [];
const clientCred = new CredHandle();
const serverCred = new CredHandle();
trace.push(
  AcquireCredentialsHandle(
    null,
    "Schannel",
    SECPKG_CRED_OUTBOUND,
    null,
    { dwVersion: SCH_CREDENTIALS_VERSION, hRootStore: [caPem] },
    null,
    null,
    clientCred,
    null,
  ),
  AcquireCredentialsHandle(
    null,
    "Schannel",
    SECPKG_CRED_INBOUND,
    null,
    { dwVersion: SCH_CREDENTIALS_VERSION, paCred: [{ certificate, privateKey }] },
    null,
    null,
    serverCred,
    null,
  ),
);
const client = new CtxtHandle();
const server = new CtxtHandle();
const token = (desc: SecBufferDesc): Uint8Array => {
  const b = desc.pBuffers[0]!;
  const bytes = b.pvBuffer?.slice(0, b.cbBuffer) ?? new Uint8Array(0);
  if (b.pvBuffer) FreeContextBuffer(b.pvBuffer);
  return bytes;
};
let c = SEC_I_CONTINUE_NEEDED;
let s = SEC_I_CONTINUE_NEEDED;
let toServer: Uint8Array = new Uint8Array(0);
let toClient: Uint8Array = new Uint8Array(0);
let first = true;
while (c === SEC_I_CONTINUE_NEEDED || s === SEC_I_CONTINUE_NEEDED) {
  if (c === SEC_I_CONTINUE_NEEDED) {
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
    const input = first
      ? null
      : secBufferDesc(secBuffer(SECBUFFER_TOKEN, toClient), secBuffer(SECBUFFER_EMPTY));
    c = InitializeSecurityContext(
      first ? clientCred : null,
      first ? null : client,
      "server.test",
      ISC_REQ_ALLOCATE_MEMORY,
      0,
      0,
      input,
      0,
      client,
      out,
      box(0),
      null,
    );
    trace.push(c);
    toServer = token(out);
  }
  if (s === SEC_I_CONTINUE_NEEDED && toServer.byteLength > 0) {
    const out = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
    const input = secBufferDesc(secBuffer(SECBUFFER_TOKEN, toServer), secBuffer(SECBUFFER_EMPTY));
    s = AcceptSecurityContext(
      first ? serverCred : null,
      first ? null : server,
      input,
      ASC_REQ_ALLOCATE_MEMORY,
      0,
      server,
      out,
      box(0),
      null,
    );
    trace.push(s);
    toClient = token(out);
  }
  first = false;
  if (trace.length > 20) break;
}
const record = encrypt(client, new TextEncoder().encode("ping"));
const got = decryptOnce(server, record);
trace.push(
  got.status,
  DeleteSecurityContext(client),
  DeleteSecurityContext(server),
  FreeCredentialsHandle(clientCred),
  FreeCredentialsHandle(serverCred),
);
parentPort!.postMessage({ trace, text: new TextDecoder().decode(got.plaintext) });
