/**
 * A man-in-the-middle on loopback that truncates a TLS connection: a TCP proxy relaying
 * between a client and a real server which, after `cutAfter` bytes from the server, stops
 * relaying, sends FIN to the client (`end()`) and drops the server. It cuts exactly at a TLS
 * record boundary, or inside a record, as asked; the client's bytes always pass.
 *
 * @module
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

/** Where to cut the server's byte stream. */
export type CutAt = "record-boundary" | "mid-record";

/** A running proxy. */
export interface TruncatingProxy {
  port: number;
  /** Bytes relayed from the server to the client (of the last connection). */
  readonly relayed: number;
  /** Resolves when the proxy cut a connection. */
  readonly cut: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `127.0.0.1:targetPort`.
 *
 * `record-boundary`: relays whole records until at least `cutAfter` bytes went through, then
 * cuts (FIN after a complete record). `mid-record`: the same, plus the first 7 bytes of the
 * next record (a complete header and 2 bytes of its body), then cuts.
 */
export async function truncatingProxy(
  targetPort: number,
  cutAfter: number,
  at: CutAt,
): Promise<TruncatingProxy> {
  let relayed = 0;
  let markCut!: () => void;
  const cut = new Promise<void>((resolve) => {
    markCut = resolve;
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream);
    let pending = Buffer.alloc(0); // server bytes not yet relayed (an incomplete record)
    let done = false;
    const cutNow = (tail: number) => {
      done = true;
      if (tail > 0) {
        client.write(pending.subarray(0, tail));
        relayed += tail;
      }
      client.end();
      upstream.destroy();
      markCut();
    };
    upstream.on("data", (chunk: Buffer) => {
      if (done) return;
      pending = Buffer.concat([pending, chunk]);
      while (relayed < cutAfter) {
        if (pending.byteLength < 5) return;
        const length = 5 + pending.readUInt16BE(3);
        if (pending.byteLength < length) return;
        client.write(pending.subarray(0, length));
        relayed += length;
        pending = pending.subarray(length);
      }
      if (at === "record-boundary") cutNow(0);
      else if (pending.byteLength >= 7) cutNow(7); // the next record's header and 2 bytes of its body
    });
    upstream.on("end", () => {
      if (!done) client.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    get relayed() {
      return relayed;
    },
    cut,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
