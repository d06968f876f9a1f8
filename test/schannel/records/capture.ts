/**
 * Captures real TLS bytes from real stacks for the record-inspection tests: the first flight a
 * client writes (Node's `tls.connect`, the `openssl s_client` binary) to a recording `net`
 * server, and both directions of a real handshake through a recording relay.
 *
 * The "hello complete" check here reads only the 5-byte record header and the 4-byte handshake
 * header, independently of the parsers under test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";

/** True when `bytes` hold complete handshake records covering the first handshake message. */
export function firstMessageComplete(bytes: Uint8Array): boolean {
  let offset = 0;
  let gathered = 0;
  let need = Number.POSITIVE_INFINITY;
  while (bytes.length - offset >= 5) {
    const length = (bytes[offset + 3]! << 8) | bytes[offset + 4]!;
    if (bytes.length - offset < 5 + length) return false;
    if (gathered === 0 && length >= 4) {
      need = 4 + ((bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 8) | bytes[offset + 8]!);
    }
    gathered += length;
    offset += 5 + length;
    if (gathered >= need) return true;
  }
  return false;
}

/**
 * Starts a `net` server on 127.0.0.1, runs `start(port)` to make a client connect, and resolves
 * with the bytes that arrived once they hold a complete first handshake message. The client is
 * stopped with `stop()` and the server closed before resolving.
 */
export async function recordFirstFlight<T>(
  start: (port: number) => T,
  stop: (client: T) => Promise<void>,
): Promise<Uint8Array> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const arrived = new Promise<Uint8Array>((resolve, reject) => {
    server.once("connection", (socket) => {
      let bytes = Buffer.alloc(0);
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        if (firstMessageComplete(bytes)) {
          socket.destroy();
          resolve(new Uint8Array(bytes));
        }
      });
      socket.on("close", () => reject(new Error(`connection closed after ${bytes.length} bytes`)));
    });
  });
  const client = start(port);
  try {
    return await arrived;
  } finally {
    await stop(client);
    server.close();
    await once(server, "close");
  }
}

/** The first flight of Node's `tls.connect` with the given options. */
export function nodeClientHello(options: tls.ConnectionOptions): Promise<Uint8Array> {
  return recordFirstFlight(
    (port) => {
      const socket = tls.connect({ ...options, host: "127.0.0.1", port });
      socket.on("error", () => {});
      return socket;
    },
    async (socket) => {
      socket.destroy();
      if (!socket.closed) await once(socket, "close");
    },
  );
}

/** Spawns `openssl <args>`; resolves the process and its output when it exits. */
export function startOpenssl(args: string[]): { child: ChildProcess; output: Promise<string> } {
  const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => {
    output += d.toString("latin1");
  });
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString("latin1");
  });
  const exited = once(child, "exit").then(() => output);
  return { child, output: exited };
}

/** Stops a spawned process (if still running) and waits for its exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill();
  await exited;
}

/** The first flight of `openssl s_client -connect 127.0.0.1:<port> <args>`. */
export function opensslClientHello(args: string[]): Promise<Uint8Array> {
  return recordFirstFlight(
    (port) => startOpenssl(["s_client", "-connect", `127.0.0.1:${port}`, ...args]).child,
    stopProcess,
  );
}

/** A relay on 127.0.0.1 that forwards one connection to `targetPort` and records both directions. */
export interface Relay {
  readonly port: number;
  /** Bytes client → server so far. */
  clientBytes(): Uint8Array;
  /** Bytes server → client so far. */
  serverBytes(): Uint8Array;
  /** Destroys both sockets and closes the relay. */
  close(): Promise<void>;
}

/** Starts a recording relay to `targetPort` on 127.0.0.1. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const fromClient: Buffer[] = [];
  const fromServer: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.push(downstream, upstream);
    for (const s of [downstream, upstream]) s.on("error", () => {});
    downstream.on("data", (d: Buffer) => {
      fromClient.push(d);
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      fromServer.push(d);
      downstream.write(d);
    });
    downstream.on("end", () => upstream.end());
    upstream.on("end", () => downstream.end());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    clientBytes: () => new Uint8Array(Buffer.concat(fromClient)),
    serverBytes: () => new Uint8Array(Buffer.concat(fromServer)),
    async close() {
      await Promise.all(
        sockets.map(async (s) => {
          s.destroy();
          if (!s.closed) await once(s, "close");
        }),
      );
      server.close();
      await once(server, "close");
    },
  };
}

/** Listens with a `tls.Server` on 127.0.0.1 and resolves its port. */
export async function listenTls(server: tls.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

/** Closes a `tls.Server`, destroying the connections it still holds. */
export async function closeTls(server: tls.Server, connections: Iterable<net.Socket>): Promise<void> {
  for (const c of connections) c.destroy();
  server.close();
  await once(server, "close");
}

/** Resolves when `predicate()` holds, checking after each macrotask, or rejects after `rounds`. */
export async function until(predicate: () => boolean, rounds = 5000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error("condition never held");
}
