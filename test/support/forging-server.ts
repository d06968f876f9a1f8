/**
 * A hostile TLS server built on a real one: Node's `tls` (OpenSSL) runs the handshake with the
 * client over a loopback TCP connection, its key log hands the test the server's traffic secrets,
 * and once Node wrote its own post-handshake records (the TLS 1.3 tickets) the test seals further
 * records under the server's real write key and next sequence number and sends them on the TCP
 * socket — records no well-behaved peer writes (oversized inner plaintext, floods of empty
 * records, a ticket spanning records). Node's read side is untouched, so it still decrypts what
 * the client sends and reports the alerts it receives.
 *
 * Also {@link sealTls13Inner}: an independent TLS 1.3 sealer that takes the whole
 * TLSInnerPlaintext (content, type, padding), with no length check.
 *
 * @module
 */
import { type CipherGCMTypes, createCipheriv } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { createSecureContext, TLSSocket } from "node:tls";
import { type CipherSuite, cipherSuiteByOpensslName } from "../../src/schannel/cipher-suites.js";
import { splitRecords } from "../../src/schannel/records/record-header.js";
import { findServerRandom } from "../../src/schannel/records/server-hello.js";
import { withTimeout } from "./peers.js";
import { tls13TrafficKeys } from "./tls-sealing/key-schedule.js";
import {
  fromTls12KeyBlock,
  fromTls13TrafficSecret,
  type RecordProtection,
} from "./tls-sealing/record-protection.js";

/**
 * Seals one TLS 1.3 record whose TLSInnerPlaintext is `inner` (content || type || zeros), under
 * the traffic `secret` at sequence number `seq`, without any length check.
 *
 * @returns the record (header, ciphertext, tag).
 */
export function sealTls13Inner(
  suite: CipherSuite,
  secret: Uint8Array,
  seq: bigint,
  inner: Uint8Array,
): Buffer {
  const { key, iv } = tls13TrafficKeys(suite, secret);
  const nonce = Buffer.from(iv);
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqBytes[i]!;
  const length = inner.length + 16;
  const header = Buffer.from([23, 3, 3, length >> 8, length & 0xff]);
  const cipher = createCipheriv(suite.cipher as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(inner), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/** One accepted connection of a {@link ForgingServer}, after Node's own post-handshake records. */
export interface ForgedConnection {
  readonly version: "TLSv1.2" | "TLSv1.3";
  readonly suite: CipherSuite;
  /** Node's server end (reads what the client sends). */
  readonly node: TLSSocket;
  /** Application data Node received from the client. */
  readonly received: Buffer[];
  /** Resolves with Node's first error (the alert our client sent shows up as its `code`). */
  nodeError(): Promise<Error & { code?: string }>;
  /** Seals `payload` as one record of `contentType` under the server's write key, next sequence number. */
  seal(contentType: number, payload: Uint8Array): Buffer;
  /** TLS 1.3: seals a whole TLSInnerPlaintext (no length check), next sequence number. */
  sealInner(inner: Uint8Array): Buffer;
  /** Writes raw bytes to the client. */
  send(bytes: Uint8Array): void;
}

/** A {@link ForgedConnection} factory listening on 127.0.0.1. */
export interface ForgingServer {
  readonly port: number;
  /** The next connection, once its handshake completed and Node's tickets were written. */
  connection(timeoutMs?: number): Promise<ForgedConnection>;
  close(): Promise<void>;
}

/**
 * Starts a forging server with one certificate and one protocol version.
 *
 * @returns the server; `close()` it in a `finally`.
 */
export async function forgingServer(options: {
  certificate: string;
  privateKey: string;
  version: "TLSv1.2" | "TLSv1.3";
}): Promise<ForgingServer> {
  const context = createSecureContext({
    cert: options.certificate,
    key: options.privateKey,
    minVersion: options.version,
    maxVersion: options.version,
  });
  const ready: Array<Promise<ForgedConnection>> = [];
  const waiters: Array<(c: Promise<ForgedConnection>) => void> = [];
  const open = new Set<Socket>();
  const nodes = new Set<TLSSocket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => {});
    const connection = accept(socket, context, options.version, nodes);
    connection.catch(() => {});
    const w = waiters.shift();
    if (w) w(connection);
    else ready.push(connection);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    connection(timeoutMs = 10_000) {
      const next =
        ready.shift() ??
        new Promise<ForgedConnection>((resolve, reject) => waiters.push((c) => c.then(resolve, reject)));
      return withTimeout(next, timeoutMs, "forging server connection");
    },
    async close() {
      for (const n of nodes) n.destroy();
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function accept(
  socket: Socket,
  secureContext: ReturnType<typeof createSecureContext>,
  version: "TLSv1.2" | "TLSv1.3",
  nodes: Set<TLSSocket>,
): Promise<ForgedConnection> {
  const written: Buffer[] = [];
  const engineSide = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(Buffer.from(chunk));
      if (!socket.destroyed) socket.write(chunk);
      callback();
    },
  });
  engineSide.on("error", () => {});
  socket.on("data", (d: Buffer) => engineSide.push(d));
  socket.on("close", () => engineSide.destroy());
  const node = new TLSSocket(engineSide, { isServer: true, secureContext });
  nodes.add(node);
  const secrets = new Map<string, Buffer>();
  let clientRandom: Buffer | null = null;
  node.on("keylog", (line: Buffer) => {
    const [label, random, secret] = line.toString("latin1").trim().split(" ");
    if (!label || !random || !secret) return;
    clientRandom = Buffer.from(random, "hex");
    secrets.set(label, Buffer.from(secret, "hex"));
  });
  const errors: Array<Error & { code?: string }> = [];
  const errorWaiters: Array<(e: Error & { code?: string }) => void> = [];
  const onError = (e: Error & { code?: string }) => {
    errors.push(e);
    for (const w of errorWaiters.splice(0)) w(e);
  };
  node.on("error", onError);
  node.on("_tlsError", onError);
  const received: Buffer[] = [];
  node.on("data", (d: Buffer) => received.push(d));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      node.once("secure", resolve);
      node.once("error", reject);
      node.once("close", () => reject(new Error("closed during the handshake")));
    }),
    10_000,
    "forging server handshake",
  );
  const suite = cipherSuiteByOpensslName(node.getCipher().name);
  if (suite === undefined) throw new Error(`no suite for ${node.getCipher().name}`);
  let write: RecordProtection;
  let sequence: bigint;
  const secret = secrets.get("SERVER_TRAFFIC_SECRET_0");
  if (version === "TLSv1.3") {
    if (secret === undefined) throw new Error("no SERVER_TRAFFIC_SECRET_0 in the key log");
    // Node writes two tickets under the application key after the handshake: count the records
    // that open under it (handshake-key records fail authentication and are skipped).
    write = fromTls13TrafficSecret(suite, secret);
    const deadline = Date.now() + 5000;
    let seen = 0;
    while (write.sequence < 2n) {
      const all = Buffer.concat(written);
      const records = splitRecords(all).records;
      for (const r of records.slice(seen)) write.open(all.subarray(r.offset, r.offset + r.length));
      seen = records.length;
      if (write.sequence >= 2n) break;
      if (Date.now() > deadline || socket.destroyed) throw new Error("Node's tickets never came");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    sequence = write.sequence;
  } else {
    const master = secrets.get("CLIENT_RANDOM");
    const serverRandom = findServerRandom(new Uint8Array(Buffer.concat(written)));
    if (master === undefined || serverRandom === undefined || clientRandom === null)
      throw new Error("no TLS 1.2 key material");
    // The server's Finished used sequence number 0.
    write = fromTls12KeyBlock(suite, master, clientRandom, serverRandom, "server", { write: 1n }).write;
    sequence = 1n;
  }
  return {
    version,
    suite,
    node,
    received,
    nodeError() {
      const first = errors[0];
      if (first) return Promise.resolve(first);
      return withTimeout(
        new Promise((resolve) => errorWaiters.push(resolve)),
        10_000,
        "an error on Node's server socket",
      );
    },
    seal(contentType, payload) {
      if (version === "TLSv1.3")
        return sealTls13Inner(
          suite,
          secret!,
          sequence++,
          Buffer.concat([payload, Uint8Array.of(contentType)]),
        );
      sequence++;
      return write.seal(contentType, payload);
    },
    sealInner(inner) {
      if (version !== "TLSv1.3") throw new Error("sealInner is TLS 1.3 only");
      return sealTls13Inner(suite, secret!, sequence++, inner);
    },
    send(bytes) {
      if (!socket.destroyed) socket.write(bytes);
    },
  };
}
