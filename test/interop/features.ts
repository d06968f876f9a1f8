/**
 * Cell bodies for the "one factor at a time" and feature cells shared by the peers: our client
 * against a peer server, a peer client against our server (each with cleanup in `finally`), the
 * standard data-and-close check, large transfers by hash, and a TCP proxy that makes a peer
 * vanish mid-handshake or mid-record.
 *
 * @module
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import type { CredHandle } from "../../src/index.js";
import { promises as sspi } from "../../src/index.js";
import { closeServer, rawServer } from "../support/peers.js";
import type { Listener } from "../support/sspi-driver.js";
import { type OurCredentialOptions, OurEnd, ourCredential, sha256 } from "./our-side.js";
import type { PeerEnd } from "./peer-ends.js";
import type { Negotiated } from "./results.js";
import { payload, until } from "./tls-tables.js";

/** Our client against a started peer server; `body` runs on the handshake outcome. */
export async function ourClientAgainst<P extends PeerEnd & { port: number }>(
  start: () => Promise<P>,
  credential: OurCredentialOptions,
  connect: Parameters<typeof OurEnd.connect>[2],
  body: (ours: OurEnd, peer: P, cred: CredHandle) => Promise<Negotiated>,
): Promise<Negotiated> {
  const peer = await start();
  let cred: CredHandle | null = null;
  let ours: OurEnd | null = null;
  try {
    cred = await ourCredential("client", credential);
    ours = await OurEnd.connect(peer.port, cred, connect);
    return await body(ours, peer, cred);
  } finally {
    await ours?.dispose();
    await peer.stop();
    if (cred) await sspi.FreeCredentialsHandle(cred);
  }
}

/** A peer client (started by `start` on the listener's port) against our server. */
export async function peerClientAgainstUs<P extends PeerEnd>(
  listener: Listener,
  credential: OurCredentialOptions,
  accept: Parameters<typeof OurEnd.accept>[2],
  start: (port: number) => P,
  body: (ours: OurEnd, peer: P, cred: CredHandle) => Promise<Negotiated>,
): Promise<Negotiated> {
  const cred = await ourCredential("server", credential);
  let peer: P | null = null;
  let ours: OurEnd | null = null;
  try {
    peer = start(listener.port);
    ours = await OurEnd.accept(await listener.next(), cred, accept);
    return await body(ours, peer, cred);
  } finally {
    await ours?.dispose();
    await peer?.stop();
    await sspi.FreeCredentialsHandle(cred);
  }
}

/** The standard established-connection check: 4 KiB each way by hash, our close_notify answered. */
export async function dataAndClose(
  ours: OurEnd,
  peer: PeerEnd,
  what: string,
  closing: "answers" | "exits" = "answers",
): Promise<Negotiated> {
  ours.assertEstablished(what);
  const n = ours.negotiated();
  const out = payload(4096);
  ours.send(out);
  await peer.waitFor(out);
  const back = payload(4096);
  peer.send(back);
  assert.equal(sha256(await ours.receive(4096)), sha256(back), `${what}: the peer's bytes`);
  if (closing === "answers") await ours.closeFirst(what);
  else await ours.closeFirstPeerExits(what);
  await peer.closedCleanly();
  return n;
}

/** Sends `size` bytes each way (the peer echoes nothing: it sends its own), compared by SHA-256. */
export async function largeTransfer(
  ours: OurEnd,
  peer: PeerEnd & { receivedLength(): number; receivedTail(n: number): Buffer },
  size: number,
): Promise<string> {
  ours.assertEstablished("large transfer");
  const out = payload(size);
  ours.send(out);
  const back = payload(size);
  peer.send(back);
  const got = await ours.receive(size);
  assert.equal(sha256(got), sha256(back), "the peer's bytes (SHA-256)");
  await until(() => peer.receivedLength() >= size, `the peer receiving ${size} bytes`, 25_000);
  assert.equal(sha256(peer.receivedTail(size)), sha256(out), "our bytes at the peer (SHA-256)");
  return `${size / 1_048_576} MiB each way, SHA-256 equal`;
}

/**
 * A TCP proxy from a local port to 127.0.0.1:`target`. `cut(n, from)` forwards at most `n` more
 * bytes coming from the target (`"target"`) or from the connecting side (`"client"`), then
 * destroys both connections: the peer vanished.
 */
export async function cuttingProxy(target: number) {
  const pairs: Array<{ client: Socket; upstream: Socket }> = [];
  const budget = { target: Number.POSITIVE_INFINITY, client: Number.POSITIVE_INFINITY };
  const forward = (from: "target" | "client", to: Socket, both: () => void) => (d: Buffer) => {
    if (budget[from] === Number.POSITIVE_INFINITY) return void to.write(d);
    const part = d.subarray(0, Math.max(0, budget[from]));
    budget[from] -= part.byteLength;
    if (part.byteLength > 0) to.write(part);
    if (budget[from] <= 0) both();
  };
  const { server, port } = await rawServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    client.on("error", () => {});
    upstream.on("error", () => {});
    pairs.push({ client, upstream });
    const both = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", forward("client", upstream, both));
    upstream.on("data", forward("target", client, both));
    client.on("close", () => upstream.end());
    upstream.on("close", () => client.end());
  });
  return {
    port,
    cut(n: number, from: "target" | "client") {
      budget[from] = n;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await closeServer(server);
    },
  };
}
