/**
 * Session ticket keys shared by a fleet of TLS servers through Redis: every process that points
 * at the same Redis (and uses the same rotation period) encrypts tickets with the same key, so a
 * client resumes on whichever process it reaches.
 *
 * ```ts
 * const keys = await redisTicketKeys({ url: "rediss://:secret@keys.internal:6380", rotationSeconds: 3600 });
 * const server = createTlsServer({ cert, key, ticketKeyProvider: keys }, onStream);
 * // later: server.close(); await keys.close();
 * ```
 *
 * - Layout: one Redis string per epoch, `<prefix>:<rotationSeconds>:<epoch>` (epoch = Unix time
 *   / rotation period), holding base64 of the 16-byte key id (the epoch, then 8 random bytes) and
 *   the 64 bytes of keying material, expiring when the key retires. Whichever process needs an
 *   epoch's key first creates it (`SET … NX PX` in one Lua script with the `GET`), so all agree.
 * - Keys in use: the current epoch's (encrypts), the next epoch's (made ahead, decrypts, so a
 *   process that rotated first is understood by the others) and past epochs' until `graceSeconds`
 *   after they ended. A timer re-reads them at every rotation and retirement.
 * - Redis unreachable: the process keeps its last keys (at start, or for an epoch it has no key
 *   for: its own random ones), reports it once through `log`, and rejoins the fleet's keys when
 *   Redis is back — offering the keys it holds, so a Redis restarted empty gets the fleet's keys
 *   back from the first process that reconnects. Never a crash, never a key in a message.
 * - The Redis client is the optional peer dependency `ioredis`, loaded only here.
 *
 * @module
 */
import type { ConnectionOptions } from "node:tls";
import { SECPKG_ATTR_SESSION_TICKET_KEYS } from "../../sspi/attributes.js";
import { SetCredentialsAttributes } from "../../sspi/context-functions.js";
import { SEC_E_OK } from "../../sspi/status.js";
import type { TlsCredentials } from "../credentials.js";
import { failureOf } from "../tls-error.js";
import type { TicketKeyProvider } from "./ticket-key-provider.js";
import {
  decodeEpochKey,
  type EpochKey,
  encodeEpochKey,
  epochAt,
  epochsAt,
  type KeySchedule,
  newEpochKey,
  nextChangeAfter,
  retiresAt,
  sessionTicketKeysOf,
} from "./ticket-key-schedule.js";

/** Options of {@link redisTicketKeys}. */
export interface RedisTicketKeysOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). The password never
   * appears in messages.
   */
  url: string;
  /** Seconds a key encrypts new tickets before the next one takes over (default 3600). */
  rotationSeconds?: number;
  /** Seconds a key still decrypts after its epoch ended (default: `rotationSeconds`). */
  graceSeconds?: number;
  /** Redis key prefix (default `async-sspi:ticket-keys`); fleets sharing one Redis use different ones. */
  prefix?: string;
  /** `rediss://`: Node `tls.connect` options (`ca`, `cert`, `key`, `servername`, …). */
  tls?: ConnectionOptions;
  /** Milliseconds to wait for Redis at start and for each command (default 5000). */
  timeoutMs?: number;
  /** Where state changes are reported (default: `process.emitWarning`). */
  log?: (message: string) => void;
  /** The clock, ms since 1970 (default `Date.now`); tests move it to drive rotations. */
  now?: () => number;
}

/** Where the keys in use come from. */
export type TicketKeyState =
  | { kind: "fleet" }
  /** Redis unreachable: the process's last keys (or its own random ones). */
  | { kind: "local"; reason: string }
  | { kind: "closed" };

/** SET NX each candidate (empty: only read), then GET every key; '' for a missing one. */
const FETCH_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local candidate = ARGV[2 * i - 1]
  if candidate ~= '' then
    redis.call('SET', key, candidate, 'NX', 'PX', ARGV[2 * i])
  end
  out[i] = redis.call('GET', key) or ''
end
return out`;

/** Extra lifetime of a key in Redis beyond its retirement, for clocks a little apart. */
const EXPIRY_MARGIN_MS = 60_000;

/** The part of ioredis this module uses. */
interface RedisClient {
  connect(): Promise<void>;
  disconnect(): void;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  on(event: "ready" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}
type RedisConstructor = new (url: string, options: object) => RedisClient;

/** Loads the optional peer dependency. */
async function loadIoredis(): Promise<RedisConstructor> {
  try {
    const module = (await import("ioredis")) as unknown as { Redis: RedisConstructor };
    return module.Redis;
  } catch (error) {
    throw Object.assign(
      new Error(
        "redisTicketKeys needs the Redis client ioredis, an optional peer dependency: npm install ioredis",
        { cause: error },
      ),
      { code: "ERR_MODULE_NOT_FOUND" },
    );
  }
}

/** The URL without its credentials, for messages. */
function displayUrl(url: URL): string {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  return shown.href.replace(/\/$/, "");
}

/** A short reason for a failed Redis call (codes and Redis errors carry no secrets). */
function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  // ioredis' refusal of a command while disconnected (enableOfflineQueue: false).
  if (typeof e?.message === "string" && e.message.includes("enableOfflineQueue")) return "not connected";
  if (typeof e?.code === "string" && e.code.length > 0) return e.code;
  return String(e?.message ?? error).split("\n")[0]!;
}

function seconds(value: number | undefined, fallback: number, name: string, min: number): number {
  const s = value ?? fallback;
  if (!Number.isFinite(s) || s < min)
    throw new TypeError(`redisTicketKeys: options.${name} must be a number of seconds (at least ${min})`);
  return s;
}

/**
 * The fleet's ticket keys from Redis; see the module documentation. Create it with
 * {@link redisTicketKeys}.
 */
export class RedisTicketKeys implements TicketKeyProvider {
  readonly #client: RedisClient;
  readonly #schedule: KeySchedule;
  readonly #prefix: string;
  readonly #where: string;
  readonly #timeoutMs: number;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  /** The keys this process holds, by epoch. */
  readonly #held = new Map<number, EpochKey>();
  readonly #attached = new Set<TlsCredentials>();
  #inUse: readonly EpochKey[] = [];
  #state: Exclude<TicketKeyState, { kind: "closed" }> = { kind: "local", reason: "not read yet" };
  #closed = false;
  /** Whether the last state change was reported (one message per outage). */
  #reported: "fleet" | "local" | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** The last connection error since the connection was last ready (the reason Redis is away). */
  #connectionError: string | null = null;
  #queue: Promise<void> = Promise.resolve();

  /** @internal Use {@link redisTicketKeys}. */
  constructor(Redis: RedisConstructor, options: RedisTicketKeysOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError("redisTicketKeys: options.url must be a redis:// or rediss:// URL");
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:")
      throw new TypeError(
        `redisTicketKeys: options.url must be a redis:// or rediss:// URL, not ${url.protocol}`,
      );
    const rotation = seconds(options.rotationSeconds, 3600, "rotationSeconds", 1);
    const grace = seconds(options.graceSeconds, rotation, "graceSeconds", 0);
    this.#schedule = { rotationMs: rotation * 1000, graceMs: grace * 1000 };
    this.#prefix = `${options.prefix ?? "async-sspi:ticket-keys"}:${rotation}`;
    this.#where = displayUrl(url);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#log = options.log ?? ((message) => process.emitWarning(message, "AsyncSspiTicketKeys"));
    this.#now = options.now ?? Date.now;
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      // Commands fail at once while Redis is away (the process keeps its keys) instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.#timeoutMs,
      commandTimeout: this.#timeoutMs,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
      ...(url.protocol === "rediss:" && options.tls !== undefined && { tls: options.tls }),
    });
    // Connection errors arrive through the failing commands and 'close'; never unhandled.
    this.#client.on("error", (error) => {
      this.#connectionError = reasonOf(error);
    });
    this.#client.on("close", () => {
      if (!this.#closed && this.#state.kind === "fleet")
        this.#lost(this.#connectionError ?? "connection lost");
    });
  }

  /** @internal The first read (or the process's own keys when Redis is unreachable). */
  async start(): Promise<void> {
    await this.#client.connect().catch(() => {});
    await this.refresh();
    // Back after an outage: rejoin at once.
    this.#client.on("ready", () => {
      this.#connectionError = null;
      void this.refresh();
    });
  }

  /** Where the keys in use come from now. */
  get state(): TicketKeyState {
    return this.#closed ? { kind: "closed" } : this.#state;
  }

  /** The ids (hex) of the keys in use, the encrypting one first. Ids are not secret. */
  get keyIds(): string[] {
    return this.#inUse.map((key) => Buffer.from(key.id).toString("hex"));
  }

  attach(credentials: TlsCredentials): () => void {
    const status = SetCredentialsAttributes(
      credentials.handle,
      SECPKG_ATTR_SESSION_TICKET_KEYS,
      sessionTicketKeysOf(this.#inUse),
    );
    if (status !== SEC_E_OK) throw failureOf("SetCredentialsAttributes", status, credentials.handle);
    this.#attached.add(credentials);
    return () => {
      this.#attached.delete(credentials);
    };
  }

  /**
   * Reads the keys for the clock's epoch now (the timer does this at every rotation and
   * retirement; tests call it after moving the clock). Never rejects.
   */
  refresh(): Promise<void> {
    this.#queue = this.#queue.then(() => this.#refresh());
    return this.#queue;
  }

  /** Stops the timer and disconnects from Redis; attached credentials keep their last keys. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#queue;
    this.#attached.clear();
    this.#client.disconnect();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #refresh(): Promise<void> {
    if (this.#closed) return;
    const now = this.#now();
    const epochs = epochsAt(this.#schedule, now);
    try {
      const keys = await this.#fetch(epochs, now);
      if (this.#closed) return;
      for (const key of keys) this.#held.set(key.epoch, key);
      this.#joined();
    } catch (error) {
      if (this.#closed) return;
      this.#lost(this.#connectionError ?? reasonOf(error));
    }
    // Without Redis: own random keys for the epochs that encrypt or will.
    const current = epochAt(this.#schedule, now);
    for (const epoch of epochs)
      if (epoch >= current && !this.#held.has(epoch)) this.#held.set(epoch, newEpochKey(epoch));
    for (const epoch of this.#held.keys()) if (!epochs.includes(epoch)) this.#held.delete(epoch);
    this.#apply(epochs.flatMap((epoch) => this.#held.get(epoch) ?? []));
    this.#schedule_(now);
  }

  /** One round trip: creates the missing keys this process should offer, reads them all. */
  async #fetch(epochs: number[], now: number): Promise<EpochKey[]> {
    const current = epochAt(this.#schedule, now);
    const args: string[] = [];
    for (const epoch of epochs) {
      const candidate = this.#held.get(epoch) ?? (epoch >= current ? newEpochKey(epoch) : null);
      args.push(
        candidate ? encodeEpochKey(candidate) : "",
        String(Math.max(1, retiresAt(this.#schedule, epoch) - now + EXPIRY_MARGIN_MS)),
      );
    }
    const names = epochs.map((epoch) => `${this.#prefix}:${epoch}`);
    const values = await this.#client.eval(FETCH_SCRIPT, names.length, ...names, ...args);
    if (!Array.isArray(values) || values.length !== epochs.length)
      throw new Error("unexpected reply from Redis");
    const keys: EpochKey[] = [];
    for (const [i, epoch] of epochs.entries()) {
      const value = values[i];
      if (value === "") continue;
      const key = typeof value === "string" ? decodeEpochKey(epoch, value) : null;
      if (key === null) throw new Error(`${names[i]} in Redis is not a ticket key of epoch ${epoch}`);
      keys.push(key);
    }
    return keys;
  }

  #apply(keys: EpochKey[]): void {
    const same =
      keys.length === this.#inUse.length &&
      keys.every((key, i) => Buffer.compare(key.id, this.#inUse[i]!.id) === 0);
    if (same) return;
    this.#inUse = keys;
    const value = sessionTicketKeysOf(keys);
    for (const credentials of this.#attached) {
      // A credential closed without detaching: forget it.
      if (
        credentials.closed ||
        SetCredentialsAttributes(credentials.handle, SECPKG_ATTR_SESSION_TICKET_KEYS, value) !== SEC_E_OK
      )
        this.#attached.delete(credentials);
    }
  }

  #schedule_(now: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#closed) return;
    // Capped so that a moved clock (tests, a suspended machine) is noticed within a minute.
    const wait = Math.min(Math.max(0, nextChangeAfter(this.#schedule, now) - now), 60_000);
    this.#timer = setTimeout(() => void this.refresh(), wait);
    this.#timer.unref();
  }

  #joined(): void {
    const wasReported = this.#reported;
    this.#state = { kind: "fleet" };
    if (wasReported === "local")
      this.#log(`ticket keys: Redis at ${this.#where} is reachable again: using the fleet's keys`);
    this.#reported = "fleet";
  }

  #lost(reason: string): void {
    const first = this.#reported === null;
    this.#state = { kind: "local", reason };
    if (this.#reported === "local") return;
    this.#reported = "local";
    this.#log(
      `ticket keys: Redis at ${this.#where} is unreachable (${reason}): ${first ? "this process uses its own keys" : "this process keeps its last keys"} until it returns; meanwhile sessions resume only on the process that issued them`,
    );
  }
}

/**
 * Connects to Redis and reads (or creates) the fleet's ticket keys.
 *
 * @returns the provider, once its first read succeeded or failed (then it uses its own random
 *   keys and retries in the background): it never rejects because Redis is unreachable.
 * @throws {TypeError} for a malformed URL or period; an `ERR_MODULE_NOT_FOUND` error when ioredis
 *   is not installed.
 */
export async function redisTicketKeys(options: RedisTicketKeysOptions): Promise<RedisTicketKeys> {
  const Redis = await loadIoredis();
  const keys = new RedisTicketKeys(Redis, options);
  await keys.start();
  return keys;
}
