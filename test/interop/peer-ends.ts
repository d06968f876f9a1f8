/**
 * The other end of an interop cell, one interface over every peer: OpenSSL and GnuTLS command
 * line tools (subprocesses through test/support/peers.ts) and Node's `tls` (in process). A peer
 * end receives and sends application data, reports what it negotiated as it prints it, and
 * tells whether it ended cleanly after our close_notify.
 *
 * @module
 */
import assert from "node:assert/strict";
import tls, { type TLSSocket } from "node:tls";
import {
  closeServer,
  freePort,
  type OpensslProcess,
  spawnPeer,
  waitForOutput,
  withTimeout,
} from "../support/peers.js";
import type { Negotiated } from "./results.js";
import { ECDSA12, RSA12, TLS13, until } from "./tls-tables.js";

/** What the peer says it negotiated (any field it does not print is absent). */
export type PeerView = Pick<Negotiated, "protocol" | "suite" | "group" | "alpn" | "resumed" | "certificate">;

export interface PeerEnd {
  /** Application bytes the peer received (for tools: everything they printed to stdout). */
  received(): Buffer;
  send(bytes: Uint8Array): void;
  /** Waits until the peer received `bytes` (bounded). */
  waitFor(bytes: Uint8Array, what?: string): Promise<void>;
  /** Waits until the peer ended cleanly (exit 0 / Node 'end') after a close_notify. */
  closedCleanly(): Promise<void>;
  /** The peer closes first (close_notify). */
  close(): void;
  /** Negotiated parameters as the peer reports them. */
  view(): PeerView;
  output(): string;
  stop(): Promise<void>;
}

const ALL_SUITES = [...TLS13, ...ECDSA12, ...RSA12];

/** IANA name of an OpenSSL suite name (or the name itself). */
export function ianaOf(opensslName: string): string {
  return ALL_SUITES.find((s) => s.openssl === opensslName)?.iana ?? opensslName;
}

function groupFromTempKey(text: string): string | undefined {
  const m = text.match(/(?:Server|Peer) Temp Key: (?:ECDH, )?([\w-]+)/);
  if (!m) return undefined;
  return (
    ({ prime256v1: "P-256", secp384r1: "P-384", X25519: "X25519" } as Record<string, string>)[m[1]!] ?? m[1]
  );
}

/** A subprocess peer (openssl, gnutls-serv, gnutls-cli). */
export class ToolPeer implements PeerEnd {
  private readonly chunks: Buffer[] = [];

  constructor(
    readonly process: OpensslProcess,
    private readonly parse: (text: string) => PeerView,
    private readonly closeInput: () => void = () => process.child.stdin?.end(),
  ) {
    process.child.stdout?.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.byteLength;
    });
  }

  private length = 0;

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  receivedLength(): number {
    return this.length;
  }

  receivedTail(n: number): Buffer {
    const all = this.received();
    return all.subarray(Math.max(0, all.byteLength - n));
  }

  send(bytes: Uint8Array): void {
    this.process.child.stdin?.write(bytes);
  }

  async waitFor(bytes: Uint8Array, what = "the peer printing our bytes"): Promise<void> {
    await until(() => this.received().includes(Buffer.from(bytes)), what);
  }

  async closedCleanly(): Promise<void> {
    const code = await withTimeout(this.process.exited, 8_000, "the peer exiting");
    assert.equal(code, 0, `peer exit status; output:\n${this.output().slice(-1500)}`);
  }

  close(): void {
    this.closeInput();
  }

  view(): PeerView {
    return this.parse(this.output());
  }

  output(): string {
    return this.process.output();
  }

  async stop(): Promise<void> {
    this.process.kill();
    await this.process.exited;
  }
}

/** Parses `openssl s_client` (not -brief) / `s_server` output. */
export function parseOpenssl(text: string): PeerView {
  const suite = text.match(/(?:Ciphersuite: |Cipher is |CIPHER is |Cipher {4}: )([\w-]+)/)?.[1];
  const protocol = text.match(/(?:Protocol version: |New, |Reused, |Protocol {2}: )(TLSv1\.[23])/)?.[1];
  const alpn = /No ALPN negotiated/.test(text)
    ? null
    : (text.match(/ALPN protocol: (\S+)/)?.[1] ?? undefined);
  const reused = /\bReused, TLSv/.test(text) ? true : /\bNew, TLSv/.test(text) ? false : undefined;
  return {
    ...(protocol && { protocol }),
    ...(suite && { suite: ianaOf(suite) }),
    ...(groupFromTempKey(text) && { group: groupFromTempKey(text) }),
    ...(alpn !== undefined && { alpn }),
    ...(reused !== undefined && { resumed: reused }),
  };
}

/** `openssl s_server` on a free port, one connection (`-naccept 1`), waiting for ACCEPT. */
export async function opensslServer(args: string[]): Promise<ToolPeer & { port: number }> {
  const port = await freePort();
  const p = spawnPeer(
    "openssl",
    ["s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", ...args],
    20_000,
  );
  const peer = Object.assign(new ToolPeer(p, parseOpenssl), { port });
  try {
    await waitForOutput(p, /ACCEPT/);
    return peer;
  } catch (error) {
    await peer.stop();
    throw error;
  }
}

/** `openssl s_client` to 127.0.0.1:`port`. */
export function opensslClient(port: number, args: string[]): ToolPeer {
  return new ToolPeer(
    spawnPeer("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], 20_000),
    parseOpenssl,
  );
}

/** Node's `tls` as a peer: one TLSSocket (client, or the server's first connection). */
export class NodePeer implements PeerEnd {
  private readonly chunks: Buffer[] = [];
  socket: TLSSocket | null = null;
  ended = false;
  errors: string[] = [];
  secure = false;

  attach(socket: TLSSocket): void {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.byteLength;
    });
    socket.on("end", () => {
      this.ended = true;
    });
    socket.on("error", (e: Error & { code?: string }) => {
      this.errors.push(`${e.code ?? ""} ${e.message}`.trim());
    });
  }

  private length = 0;

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  receivedLength(): number {
    return this.length;
  }

  receivedTail(n: number): Buffer {
    const all = this.received();
    return all.subarray(Math.max(0, all.byteLength - n));
  }

  send(bytes: Uint8Array): void {
    assert.ok(this.socket, "no Node socket");
    this.socket.write(bytes);
  }

  async waitFor(bytes: Uint8Array, what = "Node receiving our bytes"): Promise<void> {
    await until(() => this.received().includes(Buffer.from(bytes)), what);
  }

  async closedCleanly(): Promise<void> {
    await until(() => this.ended, "Node's 'end' (our close_notify)", 8_000);
    assert.deepEqual(this.errors, [], "Node socket errors");
  }

  close(): void {
    this.socket?.end();
  }

  view(): PeerView {
    const s = this.socket;
    if (!s || !this.secure) return {};
    const key = s.getEphemeralKeyInfo?.() as { name?: string } | null;
    const group = key?.name
      ? ({ prime256v1: "P-256", secp384r1: "P-384", X25519: "X25519" } as Record<string, string>)[key.name]
      : undefined;
    const alpn = s.alpnProtocol;
    return {
      protocol: s.getProtocol() ?? undefined,
      suite: s.getCipher().standardName,
      ...(group && { group }),
      alpn: alpn === false || alpn === undefined ? null : alpn,
      resumed: s.isSessionReused(),
    };
  }

  output(): string {
    return this.errors.join("\n");
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
  }
}

/** A Node tls server whose first connection is the peer end. */
export async function nodeServer(options: tls.TlsOptions): Promise<NodePeer & { port: number }> {
  const peer = new NodePeer();
  const server = tls.createServer(options);
  server.on("secureConnection", (s) => {
    if (peer.socket) return void s.destroy();
    peer.attach(s);
    peer.secure = true;
  });
  server.on("tlsClientError", (e: Error & { code?: string }) => {
    peer.errors.push(`${e.code ?? ""} ${e.message}`.trim());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const stop = peer.stop.bind(peer);
  return Object.assign(peer, {
    port,
    stop: async () => {
      await stop();
      await closeServer(server);
    },
  });
}

/** A Node tls client connecting to 127.0.0.1:`port`. */
export function nodeClient(port: number, options: tls.ConnectionOptions): NodePeer {
  const peer = new NodePeer();
  const socket = tls.connect({ port, host: "127.0.0.1", ...options });
  peer.attach(socket);
  socket.on("secureConnect", () => {
    peer.secure = true;
  });
  return peer;
}
