/**
 * Test harness: a real handshake between two Node `tls` endpoints over a cross-wired in-memory
 * Duplex pair with a tap, secrets from `'keylog'`, and then one endpoint's record layer replaced
 * by a {@link DirectRecordLayer}. The other endpoint (Node's engine, OpenSSL) is the peer we
 * did not write.
 */
import { once } from "node:events";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssuedCertificate,
  issueCertificate,
} from "../../../src/devcert/certificates.js";
import type { CipherSuite } from "../../../src/schannel/record/cipher-suites.js";
import {
  type DirectRecordLayer,
  tls12RecordLayer,
  tls13RecordLayer,
} from "../../../src/schannel/record/record-layer.js";
import { findServerRandom } from "../../../src/schannel/records/server-hello.js";

/** Complete records split out of a byte stream, awaited one at a time. */
export class RecordQueue {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #records: Buffer[] = [];
  #waiters: Array<(record: Buffer) => void> = [];

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 5) {
      const length = 5 + this.#buffer.readUInt16BE(3);
      if (this.#buffer.length < length) break;
      const record = Buffer.from(this.#buffer.subarray(0, length));
      this.#buffer = this.#buffer.subarray(length);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(record);
      else this.#records.push(record);
    }
  }

  /** The next complete record. */
  next(): Promise<Buffer> {
    const record = this.#records.shift();
    if (record) return Promise.resolve(record);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Records already complete and not taken. */
  get queued(): number {
    return this.#records.length;
  }
}

type Mode = "forward" | "capture";

/** Cross-wired Duplex pair with a tap in each direction. */
export class Wire {
  readonly clientSide: Duplex;
  readonly serverSide: Duplex;
  c2s: Mode = "forward";
  s2c: Mode = "forward";
  /** Every byte the server engine wrote, from the start (ServerHello parsing). */
  readonly serverLog: Buffer[] = [];
  readonly fromClient = new RecordQueue();
  readonly fromServer = new RecordQueue();
  /**
   * Switch server→client to capture as soon as the client writes anything after its ClientHello.
   * In TLS 1.3 that is the client's Finished flight, written before the server can send tickets,
   * so no ticket ever reaches the client engine. (Assumes no HelloRetryRequest.)
   */
  captureServerAfterClientHello = false;
  #clientBytes: Buffer = Buffer.alloc(0);

  constructor() {
    this.clientSide = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.#clientBytes = Buffer.concat([this.#clientBytes, chunk]);
        if (this.captureServerAfterClientHello && this.#clientBytes.length >= 5) {
          // the client's second flight (TLS 1.3: CCS + Finished) comes before any ticket
          if (this.#clientBytes.length > 5 + this.#clientBytes.readUInt16BE(3)) this.s2c = "capture";
        }
        if (this.c2s === "forward") this.serverSide.push(chunk);
        else this.fromClient.push(chunk);
        callback();
      },
    });
    this.serverSide = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.serverLog.push(Buffer.from(chunk));
        if (this.s2c === "forward") this.clientSide.push(chunk);
        else this.fromServer.push(chunk);
        callback();
      },
    });
  }
}

/** Test certificates: one CA, an ECDSA and an RSA `localhost` leaf. */
export interface TestCertificates {
  readonly ca: CertificateAuthority;
  readonly ecdsa: IssuedCertificate;
  readonly rsa: IssuedCertificate;
}

let certificates: Promise<TestCertificates> | null = null;

/** Creates (once per process) the test certificates. */
export function testCertificates(): Promise<TestCertificates> {
  certificates ??= (async () => {
    const ca = await createCertificateAuthority({ commonName: "record-layer test CA" });
    const ecdsa = await issueCertificate(ca, { commonName: "localhost", keyType: "ecdsa-p256" });
    const rsa = await issueCertificate(ca, { commonName: "localhost", keyType: "rsa-2048" });
    return { ca, ecdsa, rsa };
  })();
  return certificates;
}

/** Parsed keylog lines: label → secret (the client random is the same on every line). */
export interface Keylog {
  readonly secrets: Map<string, Buffer>;
  clientRandom: Buffer | null;
}

function parseKeylog(log: Keylog, line: Buffer): void {
  const [label, random, secret] = line.toString("latin1").trim().split(" ");
  if (!label || !random || !secret) return;
  log.clientRandom = Buffer.from(random, "hex");
  log.secrets.set(label, Buffer.from(secret, "hex"));
}

/** An established connection where `ours` replaced one side's record layer. */
export interface Session {
  readonly suite: CipherSuite;
  /** Which side our layer took over. */
  readonly role: "client" | "server";
  readonly layer: DirectRecordLayer;
  /** The Node endpoint we talk to (the peer). */
  readonly node: tls.TLSSocket;
  /** The endpoint whose record layer we replaced (idle after the handshake). */
  readonly replaced: tls.TLSSocket;
  /** The client and server sockets. */
  readonly client: tls.TLSSocket;
  readonly server: tls.TLSSocket;
  /** Records the Node peer writes after the handshake (TLS 1.3 server peer: tickets excluded). */
  readonly fromNode: RecordQueue;
  /** Delivers bytes to the Node peer as if they came from the replaced endpoint. */
  toNode(bytes: Uint8Array): void;
  /** Reads exactly `length` plaintext bytes from the Node peer's `'data'`. */
  nodeData(length: number): Promise<Buffer>;
  /** Errors the Node peer reported (its `'error'`/`'_tlsError'` events). */
  readonly nodeErrors: Error[];
  /** Resolves with the Node peer's first error (immediately if there already is one). */
  nodeError(): Promise<Error>;
  readonly keylog: Keylog;
  readonly serverRandom: Buffer;
  /** Tickets the replaced TLS 1.3 client did not see: the layer decrypts them. */
  close(): void;
}

/** Options of {@link establish}. */
export interface EstablishOptions {
  /** Which side our layer replaces. */
  readonly role: "client" | "server";
  /** Key type of the server certificate; defaults from the suite (RSA for ECDHE-RSA suites). */
  readonly certificate?: "ecdsa" | "rsa";
}

/**
 * Runs a real handshake with `suite` between a Node client and a Node server (tls.Server with an
 * in-memory connection), then hands one side's traffic to a new {@link DirectRecordLayer}.
 *
 * Taking over the client: bytes from the server are captured from the client's Finished (TLS 1.3)
 * or `'secureConnect'` (TLS 1.2) on, so the layer reads the TLS 1.3 tickets itself (read sequence 0).
 * Taking over the server: the server engine's TLS 1.3 tickets still go to the client (we wait for
 * its two `'session'` events), then the layer writes with sequence number 2.
 */
export async function establish(suite: CipherSuite, options: EstablishOptions): Promise<Session> {
  const certs = await testCertificates();
  const leaf =
    (options.certificate ?? (suite.keyExchange === "ECDHE-RSA" ? "rsa" : "ecdsa")) === "rsa"
      ? certs.rsa
      : certs.ecdsa;
  const version = suite.version;
  const wire = new Wire();
  const keylog: Keylog = { secrets: new Map(), clientRandom: null };
  const server = tls.createServer({
    key: leaf.privateKey,
    cert: leaf.certificate,
    minVersion: version,
    maxVersion: version,
    ...(version === "TLSv1.3" ? { ciphers: suite.opensslName } : { ciphers: suite.opensslName }),
  });
  const nodeErrors: Error[] = [];
  const errorWaiters: Array<(e: Error) => void> = [];
  const recordError = (e: Error) => {
    nodeErrors.push(e);
    for (const w of errorWaiters.splice(0)) w(e);
  };
  const serverSocket = new Promise<tls.TLSSocket>((resolve, reject) => {
    server.once("secureConnection", resolve);
    server.once("tlsClientError", reject);
  });
  server.emit("connection", wire.serverSide);
  const client = tls.connect({
    socket: wire.clientSide,
    ca: certs.ca.certificate,
    servername: "localhost",
    minVersion: version,
    maxVersion: version,
    ciphers: suite.opensslName,
  });
  client.on("keylog", (line) => parseKeylog(keylog, line));
  client.on("error", recordError);
  let sessions = 0;
  client.on("session", () => sessions++);
  if (options.role === "client") {
    if (version === "TLSv1.3") wire.captureServerAfterClientHello = true;
    // TLS 1.2: the server's last flight ends with its Finished and nothing follows unasked
    else client.once("secureConnect", () => (wire.s2c = "capture"));
  }
  const [serverTls] = await Promise.all([serverSocket, once(client, "secureConnect")]);
  serverTls.on("error", recordError);
  serverTls.on("_tlsError", recordError);
  const cipher = client.getCipher();
  if (cipher.name !== suite.opensslName || client.getProtocol() !== version) {
    throw new Error(
      `negotiated ${cipher.name} ${client.getProtocol()}, wanted ${suite.opensslName} ${version}`,
    );
  }
  const serverRandom = findServerRandom(Buffer.concat(wire.serverLog));
  if (serverRandom === undefined || keylog.clientRandom === null) throw new Error("no ServerHello / keylog");
  let writeSequence: bigint | undefined;
  if (options.role === "server") {
    wire.c2s = "capture";
    if (version === "TLSv1.3") {
      while (sessions < 2) await once(client, "session");
      writeSequence = 2n;
    }
  }
  const layer =
    version === "TLSv1.3"
      ? tls13RecordLayer(
          suite,
          options.role,
          {
            client: keylog.secrets.get("CLIENT_TRAFFIC_SECRET_0")!,
            server: keylog.secrets.get("SERVER_TRAFFIC_SECRET_0")!,
          },
          { write: writeSequence },
        )
      : tls12RecordLayer(
          suite,
          options.role,
          keylog.secrets.get("CLIENT_RANDOM")!,
          keylog.clientRandom,
          Buffer.from(serverRandom),
        );
  const node = options.role === "client" ? serverTls : client;
  const nodeSide = options.role === "client" ? wire.serverSide : wire.clientSide;
  let received = Buffer.alloc(0);
  let dataWaiter: (() => void) | null = null;
  node.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    dataWaiter?.();
  });
  return {
    suite,
    role: options.role,
    layer,
    node,
    replaced: options.role === "client" ? client : serverTls,
    client,
    server: serverTls,
    fromNode: options.role === "client" ? wire.fromServer : wire.fromClient,
    toNode(bytes) {
      nodeSide.push(Buffer.from(bytes));
    },
    async nodeData(length) {
      while (received.length < length) {
        await new Promise<void>((resolve) => {
          dataWaiter = resolve;
        });
        dataWaiter = null;
      }
      const out = received.subarray(0, length);
      received = received.subarray(length);
      return out;
    },
    nodeErrors,
    nodeError() {
      const first = nodeErrors[0];
      if (first) return Promise.resolve(first);
      return new Promise((resolve) => errorWaiters.push(resolve));
    },
    keylog,
    serverRandom: Buffer.from(serverRandom),
    close() {
      layer.destroy();
      client.destroy();
      serverTls.destroy();
      wire.clientSide.destroy();
      wire.serverSide.destroy();
      server.close();
    },
  };
}
