/**
 * The documented asynchronous SSPI pattern (Microsoft's "SSPI asynchronous contexts" sample),
 * as a runnable program: a TLS server accepting with
 * SspiAcceptSecurityContextAsync and a client with SspiInitializeSecurityContextAsync, each
 * connection owning one async context whose callback reads the status, sends the output,
 * reinitializes the context and queues the next leg.
 *
 *   npm run build && node dist/examples/async-handshake.js
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import {
  ASC_REQ_ALLOCATE_MEMORY,
  ASC_REQ_CONFIDENTIALITY,
  ASC_REQ_STREAM,
  box,
  CredHandle,
  CtxtHandle,
  FreeContextBuffer,
  formatStatus,
  ISC_REQ_ALLOCATE_MEMORY,
  ISC_REQ_CONFIDENTIALITY,
  ISC_REQ_STREAM,
  promises,
  SCH_CREDENTIALS_VERSION,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SEC_I_CONTINUE_NEEDED,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_TOKEN,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
  SECURITY_NATIVE_DREP,
  type SecBufferDesc,
  SspiAcceptSecurityContextAsync,
  type SspiAsyncContext,
  SspiCreateAsyncContext,
  SspiFreeAsyncContext,
  SspiGetAsyncCallStatus,
  SspiInitializeSecurityContextAsync,
  SspiReinitAsyncContext,
  SspiSetAsyncNotifyCallback,
  secBuffer,
  secBufferDesc,
} from "async-sspi";
import { createDevelopmentCertificate } from "async-sspi/devcert";

/** Per-connection state: everything the async call reads or writes stays alive here. */
interface Connection {
  role: "client" | "server";
  socket: Socket;
  credential: CredHandle;
  context: CtxtHandle;
  started: boolean;
  received: Uint8Array;
  input: SecBufferDesc | null;
  output: SecBufferDesc;
  attributes: { value: number };
  done: (status: number) => void;
}

function queueNextLeg(ctx: SspiAsyncContext, conn: Connection): number {
  conn.input =
    conn.role === "client" && !conn.started
      ? null
      : secBufferDesc(secBuffer(SECBUFFER_TOKEN, conn.received), secBuffer(SECBUFFER_EMPTY));
  conn.output = secBufferDesc(secBuffer(SECBUFFER_TOKEN));
  const previous = conn.started ? conn.context : null;
  conn.started = true;
  return conn.role === "client"
    ? SspiInitializeSecurityContextAsync(
        ctx,
        conn.credential,
        previous,
        "localhost",
        ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM | ISC_REQ_ALLOCATE_MEMORY,
        0,
        SECURITY_NATIVE_DREP,
        conn.input,
        0,
        conn.context,
        conn.output,
        conn.attributes,
        null,
      )
    : SspiAcceptSecurityContextAsync(
        ctx,
        conn.credential,
        previous,
        conn.input,
        ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM | ASC_REQ_ALLOCATE_MEMORY,
        SECURITY_NATIVE_DREP,
        conn.context,
        conn.output,
        conn.attributes,
        null,
      );
}

/** The notify callback: the call has completed and every output is written. */
function onComplete(ctx: SspiAsyncContext, data: unknown): void {
  const conn = data as Connection;
  const status = SspiGetAsyncCallStatus(ctx); // never SEC_I_ASYNC_CALL_PENDING here
  const token = conn.output.pBuffers[0]!;
  if (token.cbBuffer > 0 && token.pvBuffer) {
    conn.socket.write(token.pvBuffer.subarray(0, token.cbBuffer));
    FreeContextBuffer(token.pvBuffer);
  }
  if (status !== SEC_E_INCOMPLETE_MESSAGE) {
    const extra = conn.input?.pBuffers[1];
    conn.received =
      extra?.BufferType === SECBUFFER_EXTRA
        ? conn.received.slice(conn.received.byteLength - extra.cbBuffer)
        : new Uint8Array(0);
  }
  console.log(`[${conn.role}] completed: ${formatStatus(status)}, sent ${token.cbBuffer} bytes`);
  if (status === SEC_I_CONTINUE_NEEDED || status === SEC_E_INCOMPLETE_MESSAGE) {
    SspiReinitAsyncContext(ctx); // keeps the callback; the next leg is queued when bytes arrive
    if (conn.received.byteLength > 0 && status === SEC_I_CONTINUE_NEEDED) queue(ctx, conn);
    else
      conn.socket.once("data", (chunk: Buffer) => {
        conn.received = Buffer.concat([conn.received, chunk]);
        queue(ctx, conn);
      });
    return;
  }
  SspiFreeAsyncContext(ctx); // done with this connection's async context
  conn.done(status);
}

function queue(ctx: SspiAsyncContext, conn: Connection): void {
  const queued = queueNextLeg(ctx, conn);
  if (queued !== SEC_E_OK) {
    // Not queued: no callback will come; the caller owns the context.
    SspiFreeAsyncContext(ctx);
    conn.done(queued);
  }
  // Queued: do not touch ctx here; onComplete may already be scheduled.
}

function handshake(
  role: "client" | "server",
  socket: Socket,
  credential: CredHandle,
  first?: Uint8Array,
): Promise<{ status: number; context: CtxtHandle }> {
  return new Promise((resolve) => {
    const conn: Connection = {
      role,
      socket,
      credential,
      context: new CtxtHandle(),
      started: false,
      received: first ?? new Uint8Array(0),
      input: null,
      output: secBufferDesc(),
      attributes: box(0),
      done: (status) => resolve({ status, context: conn.context }),
    };
    const ctx = SspiCreateAsyncContext();
    SspiSetAsyncNotifyCallback(ctx, onComplete, conn);
    queue(ctx, conn);
  });
}

export async function main(): Promise<number> {
  const { ca, server } = await createDevelopmentCertificate();
  const serverCred = new CredHandle();
  const clientCred = new CredHandle();
  await promises.AcquireCredentialsHandle(
    null,
    "Schannel",
    SECPKG_CRED_INBOUND,
    null,
    {
      dwVersion: SCH_CREDENTIALS_VERSION,
      paCred: [{ certificate: server.certificate, privateKey: server.privateKey }],
    },
    null,
    null,
    serverCred,
    null,
  );
  await promises.AcquireCredentialsHandle(
    null,
    "Schannel",
    SECPKG_CRED_OUTBOUND,
    null,
    { dwVersion: SCH_CREDENTIALS_VERSION, hRootStore: [ca.certificate] },
    null,
    null,
    clientCred,
    null,
  );

  const listener = createServer();
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const accepted = once(listener, "connection") as Promise<[Socket]>;
  const clientSocket = connect((listener.address() as AddressInfo).port, "127.0.0.1");
  const [serverSocket] = await accepted;
  const clientDone = handshake("client", clientSocket, clientCred); // sends the ClientHello
  const [firstBytes] = (await once(serverSocket, "data")) as [Buffer];
  const [serverResult, clientResult] = await Promise.all([
    handshake("server", serverSocket, serverCred, firstBytes),
    clientDone,
  ]);
  console.log(`server: ${formatStatus(serverResult.status)}; client: ${formatStatus(clientResult.status)}`);

  for (const context of [serverResult.context, clientResult.context])
    await promises.DeleteSecurityContext(context);
  await promises.FreeCredentialsHandle(serverCred);
  await promises.FreeCredentialsHandle(clientCred);
  clientSocket.destroy();
  serverSocket.destroy();
  listener.close();
  return serverResult.status === SEC_E_OK && clientResult.status === SEC_E_OK ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => {
    process.exitCode = code;
  });
}
