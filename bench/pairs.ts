/**
 * How each side establishes a connection in the benchmarks.
 *
 * - **Ours**: a client and a server {@link TlsContext} in this process, tokens passed in memory
 *   (no socket): every ISC/ASC step is an asynchronous SSPI call run by the security service.
 *   The client decrypts the server's post-handshake records (TLS 1.3 tickets) as a real client
 *   does.
 * - **Native**: `tls.connect` ↔ `tls.createServer` over loopback TCP, or two `TLSSocket`s over a
 *   cross-wired in-memory `Duplex` pair.
 *
 * @module
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import {
  type ConnectionOptions,
  createSecureContext,
  type Server,
  type TLSSocket,
  TLSSocket as TLSSocketClass,
  type TlsOptions,
  connect as tlsConnect,
  createServer as tlsCreateServer,
} from "node:tls";
import { TlsContext } from "../src/api/index.js";
import { type OurCredentials, SERVER_NAME } from "./fixtures.js";

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  if (b.byteLength === 0) return a;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** An established pair of our contexts. */
export interface OurPair {
  client: TlsContext;
  server: TlsContext;
  close(): Promise<void>;
}

/**
 * Runs one handshake between a new client and server context, passing tokens in memory, until
 * both are established and every byte in flight was consumed (at most 16 exchanges).
 */
export async function ourHandshake(creds: OurCredentials): Promise<OurPair> {
  const client = new TlsContext(creds.client, { serverName: SERVER_NAME });
  const server = new TlsContext(creds.server);
  let toServer = (await client.step()).output;
  let toClient: Uint8Array = EMPTY;
  for (let exchange = 0; exchange < 16; exchange++) {
    if (toServer.byteLength > 0) {
      const input = toServer;
      toServer = EMPTY;
      if (!server.established) {
        const r = await server.step(input);
        toClient = concat(toClient, r.output);
        if (r.extra.byteLength > 0 && !r.done) toServer = r.extra;
      } else {
        await server.decrypt(input);
      }
    }
    if (toClient.byteLength > 0) {
      const input = toClient;
      toClient = EMPTY;
      if (!client.established) {
        const r = await client.step(input);
        toServer = concat(toServer, r.output);
        if (r.extra.byteLength > 0) {
          if (r.done) await client.decrypt(r.extra);
          else toClient = r.extra;
        }
      } else {
        await client.decrypt(input);
      }
    }
    if (client.established && server.established && toServer.byteLength === 0 && toClient.byteLength === 0)
      return {
        client,
        server,
        async close() {
          await Promise.all([client.close(), server.close()]);
        },
      };
  }
  await Promise.all([client.close(), server.close()]);
  throw new Error("our handshake did not finish within 16 exchanges");
}

/** A `tls.createServer` on 127.0.0.1 that keeps track of its sockets. */
export interface NativeServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function nativeServer(options: TlsOptions): Promise<NativeServer> {
  const sockets = new Set<TLSSocket>();
  const server = tlsCreateServer(options, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.resume();
  });
  server.on("tlsClientError", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One native client handshake to `port`; resolves with the connected socket. */
export function nativeConnect(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ ...options, host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Two Duplex streams wired to each other: what one writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  let a: Duplex;
  let b: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        peer().push(chunk);
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

/** Two native TLSSockets over a cross-wired in-memory Duplex pair, established. */
export interface NativeDuplexPair {
  client: TLSSocket;
  server: TLSSocket;
  destroy(): void;
}

export async function nativeDuplexPair(
  serverOptions: TlsOptions,
  clientOptions: ConnectionOptions,
): Promise<NativeDuplexPair> {
  const [a, b] = duplexPair();
  const server = new TLSSocketClass(b, {
    isServer: true,
    secureContext: createSecureContext(serverOptions),
  });
  server.on("error", () => {});
  const client = tlsConnect({ ...clientOptions, socket: a });
  client.on("error", () => {});
  await Promise.all([once(client, "secureConnect"), once(server, "secure")]);
  return {
    client,
    server,
    destroy() {
      client.destroy();
      server.destroy();
    },
  };
}

export { SERVER_NAME };
