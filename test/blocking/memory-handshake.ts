/**
 * An in-memory SSPI handshake between a client and a server context of this process, each call
 * made blocking (`InitializeSecurityContext`) or asynchronous (`promises.*`) as the caller picks,
 * recording every status so the two paths can be compared call by call.
 */
import assert from "node:assert/strict";
import { createCertificateAuthority, issueCertificate } from "../../src/devcert/certificates.js";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_STREAM,
  box,
  CredHandle,
  CtxtHandle,
  FreeContextBuffer,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_STREAM,
  type SCH_CREDENTIALS,
  SCH_CREDENTIALS_VERSION,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_TOKEN,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  type SECURITY_STATUS,
  secBuffer,
  secBufferDesc,
  promises as sspi,
} from "../../src/index.js";
import {
  AcceptSecurityContext,
  AcquireCredentialsHandle,
  InitializeSecurityContext,
} from "../../src/sspi/blocking-calls.js";

export type Mode = "blocking" | "async";

export interface Pki {
  caPem: string;
  server: SCH_CREDENTIALS;
  client: SCH_CREDENTIALS;
}

export async function pki(): Promise<Pki> {
  const ca = await createCertificateAuthority({ commonName: "blocking test CA" });
  const leaf = await issueCertificate(ca, { commonName: "server.test" });
  return {
    caPem: ca.certificate,
    server: {
      dwVersion: SCH_CREDENTIALS_VERSION,
      paCred: [{ certificate: leaf.certificate, privateKey: leaf.privateKey }],
    },
    client: { dwVersion: SCH_CREDENTIALS_VERSION, hRootStore: [ca.certificate] },
  };
}

/** AcquireCredentialsHandle in `mode`. */
export async function acquire(mode: Mode, use: number, auth: SCH_CREDENTIALS): Promise<CredHandle> {
  const cred = new CredHandle();
  const args = [null, "Schannel", use, null, auth, null, null, cred, null] as const;
  const status =
    mode === "blocking" ? AcquireCredentialsHandle(...args) : await sspi.AcquireCredentialsHandle(...args);
  assert.equal(status, SEC_E_OK, `AcquireCredentialsHandle (${mode})`);
  return cred;
}

export interface MemoryHandshake {
  client: CtxtHandle;
  server: CtxtHandle;
  /** `client:STATUS` / `server:STATUS` per call, in order. */
  trace: string[];
  /** What the server sent after its last call (TLS 1.3 tickets): the client's DecryptMessage reads it. */
  toClient: Uint8Array;
}

const hex = (s: SECURITY_STATUS) => `0x${(s >>> 0).toString(16)}`;

/**
 * Runs a whole handshake. `modeOf(side, call)` picks the mode of each call (call counts from 0
 * per side).
 */
export async function memoryHandshake(
  clientCred: CredHandle,
  serverCred: CredHandle,
  modeOf: (side: "client" | "server", call: number) => Mode,
): Promise<MemoryHandshake> {
  const client = new CtxtHandle();
  const server = new CtxtHandle();
  const trace: string[] = [];
  let toServer: Uint8Array = new Uint8Array(0);
  let toClient: Uint8Array = new Uint8Array(0);
  let clientStatus: SECURITY_STATUS = SEC_I_CONTINUE_NEEDED;
  let serverStatus: SECURITY_STATUS = SEC_I_CONTINUE_NEEDED;
  let clientCalls = 0;
  let serverCalls = 0;
  const attr = box(0);
  const take = (desc: ReturnType<typeof secBufferDesc>): Uint8Array => {
    const token = desc.pBuffers[0]!;
    if (token.cbBuffer === 0 || token.pvBuffer === null) return new Uint8Array(0);
    const bytes = token.pvBuffer.slice(0, token.cbBuffer);
    FreeContextBuffer(token.pvBuffer);
    return bytes;
  };
  for (let round = 0; round < 10; round++) {
    if (clientStatus === SEC_I_CONTINUE_NEEDED) {
      const first = clientCalls === 0;
      const input = first
        ? null
        : secBufferDesc(secBuffer(SECBUFFER_TOKEN, toClient), secBuffer(SECBUFFER_EMPTY));
      const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
      const args = [
        first ? clientCred : null,
        first ? null : client,
        "server.test",
        ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_ALLOCATE_MEMORY,
        0,
        0,
        input,
        0,
        client,
        output,
        attr,
        null,
      ] as const;
      const mode = modeOf("client", clientCalls++);
      clientStatus =
        mode === "blocking"
          ? InitializeSecurityContext(...args)
          : await sspi.InitializeSecurityContext(...args);
      trace.push(`client:${hex(clientStatus)}`);
      assert.notEqual(input?.pBuffers[1]?.BufferType, SECBUFFER_EXTRA);
      toServer = take(output);
    }
    if (serverStatus === SEC_I_CONTINUE_NEEDED && toServer.byteLength > 0) {
      const first = serverCalls === 0;
      const input = secBufferDesc(secBuffer(SECBUFFER_TOKEN, toServer), secBuffer(SECBUFFER_EMPTY));
      const output = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
      const args = [
        first ? serverCred : null,
        first ? null : server,
        input,
        ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_ALLOCATE_MEMORY,
        0,
        server,
        output,
        attr,
        null,
      ] as const;
      const mode = modeOf("server", serverCalls++);
      serverStatus =
        mode === "blocking" ? AcceptSecurityContext(...args) : await sspi.AcceptSecurityContext(...args);
      trace.push(`server:${hex(serverStatus)}`);
      toClient = take(output);
      toServer = new Uint8Array(0);
    }
    if (clientStatus !== SEC_I_CONTINUE_NEEDED && serverStatus !== SEC_I_CONTINUE_NEEDED) break;
  }
  return { client, server, trace, toClient };
}

export { SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND };
