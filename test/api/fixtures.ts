/**
 * Shared fixtures for the idiomatic API tests: certificates, loopback TCP helpers, a socket as
 * a byte channel, a deterministic chunker, and a WebSocket-like message transport built on a
 * `MessageChannel` whose other end is a `Duplex` Node's `tls` can run over.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  type AddressInfo,
  connect as netConnect,
  createServer as netCreateServer,
  type Socket,
} from "node:net";
import { Duplex, Readable } from "node:stream";
import { MessageChannel } from "node:worker_threads";
import { ByteQueue } from "../../src/api/byte-queue.js";
import type { HandshakeIo } from "../../src/api/handshake.js";
import type { MessageTransport } from "../../src/api/transport.js";

export { type Pki, pki } from "../support/pki.js";

/** Hex SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `size` deterministic pseudo-random bytes. */
export function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Collects a readable until it ends (without destroying it, unlike `for await`). */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => parts.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once("end", () => resolve(Buffer.concat(parts)));
    stream.once("error", reject);
  });
}

/** `pattern(size, seed)` in 64 KiB chunks, as a Readable (so `pipeline` honours backpressure). */
export function source(seed: number, size = 1024 * 1024): Readable {
  const data = pattern(size, seed);
  return Readable.from(
    (function* () {
      for (let o = 0; o < data.byteLength; o += 65536) yield data.subarray(o, o + 65536);
    })(),
  );
}

/** A deterministic source of chunk sizes (xorshift32). */
export function chunker(seed: number, max: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 1 + ((x >>> 0) % max);
  };
}

/** A connected loopback TCP pair: `client` (connected) and `server` (accepted, half-open if asked). */
export async function tcpPair(
  options: { allowHalfOpen?: boolean } = {},
): Promise<{ client: Socket; server: Socket; close(): Promise<void> }> {
  const listener = netCreateServer({ allowHalfOpen: options.allowHalfOpen ?? false });
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const accepted = once(listener, "connection") as Promise<[Socket]>;
  const client = netConnect((listener.address() as AddressInfo).port, "127.0.0.1");
  const [server] = await accepted;
  await once(client, "connect").catch(() => {});
  return {
    client,
    server,
    async close() {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

/** A socket as a byte channel: `send`, and `receive()` of everything that arrived (null at end). */
export class SocketChannel implements HandshakeIo {
  readonly #queue = new ByteQueue();

  constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => this.#queue.push(d));
    socket.on("end", () => this.#queue.end());
    socket.on("close", () => this.#queue.end());
    socket.on("error", () => this.#queue.end());
  }

  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  receive(): Promise<Uint8Array | null> {
    return this.#queue.receive();
  }
}

/**
 * A WebSocket-like message transport over a `MessageChannel`: what our side sends is split into
 * chunks of random sizes (1..`maxChunk`), each posted as its own message; what Node's side
 * writes is delivered to us the same way. `theirs` is the `Duplex` Node's `tls` runs over.
 */
export function messageChannelTransport(seed: number, maxChunk: number) {
  const { port1, port2 } = new MessageChannel();
  const nextOurs = chunker(seed, maxChunk);
  const nextTheirs = chunker(seed + 1, maxChunk);
  const post = (port: typeof port1, bytes: Uint8Array, next: () => number) => {
    for (let offset = 0; offset < bytes.byteLength; ) {
      const size = next();
      port.postMessage(new Uint8Array(bytes.subarray(offset, offset + size))); // a copy: a view would clone its whole ArrayBuffer
      offset += size;
    }
  };
  const END = "end";
  let closed = false;
  const closeBoth = () => {
    if (closed) return;
    closed = true;
    port1.postMessage(END);
    setImmediate(() => {
      port1.close();
      port2.close();
    });
  };
  const theirs = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      post(port2, chunk, nextTheirs);
      callback();
    },
    final(callback) {
      port2.postMessage(END);
      callback();
    },
    destroy(error, callback) {
      closeBoth();
      callback(error);
    },
  });
  port2.on("message", (m: Uint8Array | string) => {
    if (m === END) theirs.push(null);
    else theirs.push(Buffer.from(m as Uint8Array));
  });
  let closeCallback: ((error?: Error) => void) | null = null;
  port1.on("close", () => closeCallback?.());
  const ours: MessageTransport & { sent: number; messages: number } = {
    sent: 0,
    messages: 0,
    send(bytes) {
      if (closed) return;
      ours.sent += bytes.byteLength;
      post(port1, bytes, nextOurs);
    },
    onMessage(callback) {
      port1.on("message", (m: Uint8Array | string) => {
        if (m === END) {
          closeCallback?.();
          return;
        }
        ours.messages++;
        callback(m as Uint8Array);
      });
    },
    onClose(callback) {
      closeCallback = (error?: Error) => {
        closeCallback = null;
        callback(error);
      };
    },
    close() {
      closeBoth();
    },
  };
  return { ours, theirs, close: closeBoth };
}
