/**
 * The engine ceiling: the same native addon the Schannel package runs on, stepped synchronously
 * in one thread with no SSPI, async or service layer (client and server `Context`s in memory).
 * What a handshake kind costs in OpenSSL itself, and the memory of a bare established SSL pair;
 * the bench compares our figures with these.
 *
 * As a child process (memory, so the RSS is this process's alone):
 *
 *   node --expose-gc dist/bench/engine-ceiling.js FIXTURES memory COUNT
 *
 * prints one JSON line `{ kibPerContext, contexts }`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { TlsVersion } from "../src/api/index.js";
import type {
  NativeAddon,
  NativeContext,
  NativeCredential,
  NativeSession,
} from "../src/schannel/native/addon-types.js";
import { loadNativeEngine } from "../src/schannel/native/load-native-engine.js";
import { loadFixtures, SERVER_NAME, type ServerIdentity } from "./fixtures.js";
import { sleep } from "./stats.js";

const EMPTY = new Uint8Array(0);
const SCRATCH = new Uint8Array(16 * 1024 + 256);
const VERSION: Record<TlsVersion, number> = { "TLSv1.2": 0x0303, "TLSv1.3": 0x0304 };

function addon(): NativeAddon {
  const loaded = loadNativeEngine();
  if (!loaded.ok) throw new Error(`the native addon does not load: ${loaded.reason}`);
  return loaded.addon;
}

/** A client and a server credential of the addon for `id` and one version. */
export function ceilingCredentials(
  id: ServerIdentity,
  version: TlsVersion,
): { client: NativeCredential; server: NativeCredential; free(): void } {
  const a = addon();
  const v = VERSION[version];
  const server = new a.Credential({
    role: "server",
    certificates: [{ chain: Buffer.from(id.certificate), key: Buffer.from(id.privateKey) }],
    minVersion: v,
    maxVersion: v,
    groups: "X25519:P-256:P-384",
    ticketKeys: [{ name: randomBytes(16), hmac: randomBytes(32), aes: randomBytes(32) }],
  });
  const client = new a.Credential({
    role: "client",
    roots: [Buffer.from(id.ca)],
    minVersion: v,
    maxVersion: v,
    groups: "X25519:P-256:P-384",
  });
  return {
    client,
    server,
    free() {
      client.free();
      server.free();
    },
  };
}

/**
 * One handshake between two fresh contexts, stepped synchronously; the client validates the
 * chain and the name as our client does.
 *
 * @returns the established pair and the sessions the client received.
 */
export function ceilingHandshake(
  credentials: { client: NativeCredential; server: NativeCredential },
  session?: NativeSession,
): { client: NativeContext; server: NativeContext; sessions: NativeSession[] } {
  const a = addon();
  const client = new a.Context(credentials.client, {
    serverName: SERVER_NAME,
    verifyHost: SERVER_NAME,
    ...(session !== undefined && { session }),
  });
  const server = new a.Context(credentials.server, {});
  const sessions: NativeSession[] = [];
  let first = client.stepSync(EMPTY);
  let toServer = first.output;
  let toClient: Uint8Array = EMPTY;
  let clientDone = false;
  let serverDone = false;
  for (let i = 0; i < 8 && !(clientDone && serverDone); i++) {
    if (!serverDone && toServer.length > 0) {
      const r = server.stepSync(toServer);
      if (r.outcome === "error") throw new Error(`server step: ${r.reason}`);
      serverDone = r.outcome === "done";
      toClient = r.output;
      toServer = EMPTY;
    }
    if (!clientDone) {
      first = client.stepSync(toClient);
      if (first.outcome === "error") throw new Error(`client step: ${first.reason}`);
      sessions.push(...first.sessions);
      clientDone = first.outcome === "done";
      toServer = first.output;
      toClient = EMPTY;
    }
  }
  if (!(clientDone && serverDone)) throw new Error("the ceiling handshake did not complete");
  if (toClient.length > 0) {
    // TLS 1.3 tickets, read as a client reads them
    for (let offset = 0; offset < toClient.length; ) {
      client.decrypt(toClient.subarray(offset), SCRATCH);
      const used = client.consumed();
      if (used === 0) break;
      offset += used;
    }
    sessions.push(...client.takeSessions());
  }
  return { client, server, sessions };
}

/** Handshakes per second of one kind for `durationMs` (full, or all resuming one session). */
export function ceilingRate(
  id: ServerIdentity,
  version: TlsVersion,
  resumed: boolean,
  durationMs: number,
): number {
  const credentials = ceilingCredentials(id, version);
  try {
    let session: NativeSession | undefined;
    if (resumed) {
      const warm = ceilingHandshake(credentials);
      session = warm.sessions.pop();
      for (const s of warm.sessions) s.free();
      warm.client.free();
      warm.server.free();
      if (session === undefined) throw new Error("no session to resume");
    }
    const once = () => {
      const pair = ceilingHandshake(credentials, session);
      if (resumed && !pair.client.info().resumed) throw new Error("the ceiling handshake did not resume");
      if (resumed) {
        // As the client's session cache does: the newest ticket is the one offered next.
        const newest = pair.sessions.pop();
        if (newest !== undefined) {
          session?.free();
          session = newest;
        }
      }
      for (const s of pair.sessions) s.free();
      pair.client.free();
      pair.server.free();
    };
    for (let i = 0; i < 20; i++) once();
    const started = performance.now();
    let count = 0;
    while (performance.now() - started < durationMs) {
      once();
      count++;
    }
    session?.free();
    return (count * 1000) / (performance.now() - started);
  } finally {
    credentials.free();
  }
}

/** MB/s of AES-128-GCM seal+open of 16 KiB records through OpenSSL's EVP, from the addon. */
export function ceilingCipherRate(durationMs: number): number {
  const a = addon();
  const size = 16384;
  a.aesGcmSealOpen(size, 200);
  let bytes = 0;
  let seconds = 0;
  while (seconds * 1000 < durationMs) {
    seconds += a.aesGcmSealOpen(size, 2000);
    bytes += size * 2000;
  }
  return bytes / seconds / 1e6;
}

async function memoryMain(fixturesPath: string, count: number): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = (globalThis as { gc?: () => void }).gc ?? (runInNewContext("gc") as () => void);
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(50);
    }
    return process.memoryUsage().rss;
  };
  const credentials = ceilingCredentials(loadFixtures(fixturesPath).ecdsa, "TLSv1.3");
  const keep: NativeContext[] = [];
  const establish = () => {
    const pair = ceilingHandshake(credentials);
    for (const s of pair.sessions) s.free();
    keep.push(pair.client, pair.server);
  };
  for (let i = 0; i < 200; i++) establish();
  const before = await settle();
  for (let i = 0; i < count; i++) establish();
  const after = await settle();
  const contexts = 2 * count;
  process.stdout.write(
    `${JSON.stringify({ kibPerContext: (after - before) / contexts / 1024, contexts })}\n`,
  );
  process.exit(0);
}

const [, script, fixturesArg, mode, countArg] = process.argv;
if (
  script !== undefined &&
  import.meta.url === pathToFileURL(script).href &&
  mode === "memory" &&
  fixturesArg
) {
  memoryMain(fixturesArg, Number(countArg ?? 10_000)).catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
