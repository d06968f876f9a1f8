/**
 * Helpers for tests that drive the native addon directly: loading it (a failure to load fails the
 * test), certificates, in-memory handshakes between two native contexts, and a native context
 * driven over a real TCP socket (against Node's `tls` or the `openssl` binary).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { IssuedCertificate } from "../../src/devcert/certificates.js";
import type {
  NativeAddon,
  NativeContext,
  NativeCredentialOptions,
  NativeStepResult,
} from "../../src/schannel/native/addon-types.js";
import { loadNativeEngine } from "../../src/schannel/native/load-native-engine.js";
import { splitRecords } from "../../src/schannel/records/record-header.js";
import type { EngineHost, EngineStepResult } from "../../src/service/engine-host.js";
import { SEC_E_OK, SEC_I_CONTINUE_NEEDED } from "../../src/sspi/status.js";
import type { SocketReader } from "./peers.js";

export const TLS12 = 0x0303;
export const TLS13 = 0x0304;

/** @returns the loaded addon (asserting that it loads). */
export function nativeAddon(): NativeAddon {
  const loaded = loadNativeEngine();
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.reason);
  return loaded.addon;
}

export { type Pki as NativePki, pki as nativePki } from "./pki.js";

/** @returns `{ chain, key }` of an issued certificate for the addon. */
export function keyPair(cert: IssuedCertificate): { chain: Uint8Array; key: Uint8Array } {
  return { chain: Buffer.from(cert.certificate), key: Buffer.from(cert.privateKey) };
}

/** @returns options of a server credential with `cert`. */
export function serverOptions(
  cert: IssuedCertificate,
  extra: Partial<NativeCredentialOptions> = {},
): NativeCredentialOptions {
  return { role: "server", certificates: [keyPair(cert)], groups: "X25519:P-256:P-384", ...extra };
}

/** @returns options of a client credential trusting `ca`. */
export function clientOptions(
  ca: IssuedCertificate,
  extra: Partial<NativeCredentialOptions> = {},
): NativeCredentialOptions {
  return { role: "client", roots: [Buffer.from(ca.certificate)], groups: "X25519:P-256:P-384", ...extra };
}

/** One step of an in-memory exchange, as recorded by {@link handshakeInMemory}. */
export interface RecordedStep {
  side: "client" | "server";
  input: number;
  result: NativeStepResult;
}

/**
 * Runs a handshake between two native contexts in memory with `stepSync`, each side's whole
 * output handed to the other (unconsumed input is passed again, as SECBUFFER_EXTRA).
 *
 * @returns every step, and what the server wrote in its completing step that the client has not
 *   read yet (TLS 1.3 tickets).
 */
export function handshakeInMemory(
  client: NativeContext,
  server: NativeContext,
): { steps: RecordedStep[]; toClient: Uint8Array; toServer: Uint8Array } {
  const steps: RecordedStep[] = [];
  let toServer: Uint8Array = new Uint8Array(0);
  let toClient: Uint8Array = new Uint8Array(0);
  let clientDone = false;
  let serverDone = false;
  const run = (side: "client" | "server", context: NativeContext, input: Uint8Array) => {
    const result = context.stepSync(input);
    steps.push({ side, input: input.length, result });
    return result;
  };
  const first = run("client", client, new Uint8Array(0));
  toServer = first.output;
  for (let i = 0; i < 10 && !(clientDone && serverDone); i++) {
    if (!serverDone && toServer.length > 0) {
      const r = run("server", server, toServer);
      toServer = toServer.subarray(r.consumed);
      toClient = concat(toClient, r.output);
      if (r.outcome === "error") break;
      serverDone = r.outcome === "done";
    }
    if (!clientDone && toClient.length > 0) {
      const r = run("client", client, toClient);
      toClient = toClient.subarray(r.consumed);
      toServer = concat(toServer, r.output);
      if (r.outcome === "error") break;
      clientDone = r.outcome === "done";
    }
    if (clientDone && !serverDone && toServer.length === 0) break;
  }
  return { steps, toClient, toServer };
}

/** @returns `a` followed by `b`. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return Buffer.concat([a, b]);
}

/** @returns the content types of the complete records in `bytes`. */
export function recordTypes(bytes: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    types.push(bytes[at]!);
    at += 5 + length;
  }
  return types;
}

/**
 * Drives a native context's handshake over a TCP socket (client first when `role` is client).
 *
 * @returns every step result; the last is `done` or an error (whose output was sent).
 */
export async function driveNative(
  context: NativeContext,
  reader: SocketReader,
  role: "client" | "server",
): Promise<NativeStepResult[]> {
  const steps: NativeStepResult[] = [];
  const write = (bytes: Uint8Array) => {
    if (bytes.length > 0 && !reader.socket.destroyed) reader.socket.write(bytes);
  };
  const step = (input: Uint8Array) =>
    new Promise<NativeStepResult>((resolve, reject) =>
      context.step(input, (error, result) => (error ? reject(error) : resolve(result))),
    );
  if (role === "client") {
    const first = await step(new Uint8Array(0));
    steps.push(first);
    write(first.output);
  }
  for (;;) {
    if (reader.available.length === 0) {
      await reader.more(0);
      if (reader.available.length === 0 && reader.ended) throw new Error("peer closed during the handshake");
    }
    const r = await step(new Uint8Array(reader.available));
    steps.push(r);
    write(r.output);
    reader.take(r.consumed);
    if (r.outcome !== "want-read") return steps;
    if (r.consumed === 0) await reader.more(reader.available.length);
  }
}

/** Seals `text` into one record and sends it. */
export function sendText(context: NativeContext, reader: SocketReader, text: string): void {
  const out = new Uint8Array(16 * 1024 + 512);
  const n = context.encrypt(Buffer.from(text), out);
  assert.ok(n > 0, `encrypt returned ${n}`);
  reader.socket.write(out.subarray(0, n));
}

/**
 * Reads records until `length` plaintext bytes arrived (tickets and KeyUpdates are handled by
 * OpenSSL on the way; anything OpenSSL wants to send back is written to the socket).
 *
 * @returns the plaintext.
 */
export async function receiveText(
  context: NativeContext,
  reader: SocketReader,
  length: number,
): Promise<string> {
  const out = new Uint8Array(16 * 1024);
  let text = "";
  while (Buffer.byteLength(text) < length) {
    const n = context.decrypt(new Uint8Array(reader.available), out);
    reader.take(context.consumed());
    flush(context, reader);
    if (n > 0) text += Buffer.from(out.subarray(0, n)).toString();
    else if (n === -1) await reader.more(reader.available.length);
    else throw new Error(`decrypt returned ${n}: ${JSON.stringify(context.lastError())}`);
  }
  return text;
}

/** Sends whatever OpenSSL has written (KeyUpdate answers, close_notify, alerts). */
export function flush(context: NativeContext, reader: SocketReader): void {
  const pending = context.pendingOutput();
  if (pending === 0) return;
  const out = new Uint8Array(pending);
  context.takeOutput(out);
  if (!reader.socket.destroyed) reader.socket.write(out);
}

/** The final results of a handshake run through an engine host in memory. */
export interface HostHandshake {
  client: EngineStepResult;
  server: EngineStepResult;
}

/**
 * Runs a handshake between two contexts of an engine host in memory (client first), passing each
 * output to the other side and unconsumed input again, until both finished or one failed.
 *
 * @returns the last step result of each side.
 */
export async function handshakeThroughHost(
  host: EngineHost,
  clientId: number,
  serverId: number,
): Promise<HostHandshake> {
  let client = await host.step(clientId, new Uint8Array(0));
  let server: EngineStepResult = {
    status: SEC_I_CONTINUE_NEEDED,
    output: new Uint8Array(0),
    consumed: 0,
    missing: 0,
  };
  let toServer = client.output;
  let toClient: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 10; i++) {
    if (server.status === SEC_I_CONTINUE_NEEDED && toServer.length > 0) {
      server = await host.step(serverId, toServer);
      toServer = toServer.subarray(server.consumed);
      toClient = concat(toClient, server.output);
    }
    if (client.status === SEC_I_CONTINUE_NEEDED && toClient.length > 0) {
      client = await host.step(clientId, toClient);
      toClient = toClient.subarray(client.consumed);
      toServer = concat(toServer, client.output);
    }
    if (
      client.status !== SEC_I_CONTINUE_NEEDED &&
      (server.status !== SEC_I_CONTINUE_NEEDED || toServer.length === 0)
    )
      break;
  }
  if (client.status === SEC_E_OK && server.status === SEC_I_CONTINUE_NEEDED && toServer.length > 0)
    server = await host.step(serverId, toServer);
  if (client.status === SEC_E_OK && toClient.length > 0) readTickets(host, clientId, toClient);
  return { client, server };
}

/** The client reads what followed the handshake (TLS 1.3 tickets) with OpenSSL's record layer: sessions reach the cache. */
function readTickets(host: EngineHost, clientId: number, bytes: Uint8Array): void {
  const records = host.recordLayer?.(clientId);
  if (!records) return;
  for (const r of splitRecords(bytes).records) {
    const record = bytes.slice(r.offset, r.offset + r.length);
    records.decryptRecord(record, record.subarray(records.streamSizes.cbHeader));
  }
}
