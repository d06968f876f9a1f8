/**
 * `redisTicketKeys` against a real redis-server: the layout it keeps in Redis, passwords and
 * `rediss://`, a start while Redis is down (own keys, one message, the fleet's keys once Redis is
 * up), keys never in a message, and what `attach` refuses.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { acquireTlsCredentials, redisTicketKeys } from "../../src/api/index.js";
import { freePort } from "../support/peers.js";
import { type Pki, pki } from "../support/pki.js";
import { type RedisServer, requireRedis, startRedis } from "../support/redis-server.js";

const HOUR_S = 3600;
const CLOCK = Date.UTC(2032, 5, 1, 12, 30);
const EPOCH = Math.floor(CLOCK / (HOUR_S * 1000));

let p: Pki;
const servers: RedisServer[] = [];
before(async () => {
  p = await pki();
});
after(async () => {
  for (const s of servers) await s.stop();
});

async function redis(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const server = await startRedis(options);
  servers.push(server);
  return server;
}

test("Redis holds one key per epoch under <prefix>:<rotation>:<epoch>, expiring when it retires", async (t) => {
  if (!requireRedis(t)) return;
  const server = await redis();
  const messages: string[] = [];
  await using keys = await redisTicketKeys({
    url: server.url,
    prefix: "layout",
    rotationSeconds: HOUR_S,
    graceSeconds: 1800,
    now: () => CLOCK,
    log: (m) => messages.push(m),
  });
  assert.deepEqual(keys.state, { kind: "fleet" });
  const direct = new Redis(server.url);
  try {
    assert.deepEqual((await direct.keys("layout:*")).sort(), [
      `layout:3600:${EPOCH}`,
      `layout:3600:${EPOCH + 1}`,
    ]);
    const stored = await direct.get(`layout:3600:${EPOCH}`);
    const bytes = Buffer.from(stored!, "base64");
    assert.equal(bytes.byteLength, 80, "16-byte key id, 64 bytes of keying material");
    assert.equal(bytes.readBigUInt64BE(0), BigInt(EPOCH), "the key id starts with the epoch");
    assert.deepEqual(keys.keyIds, [
      bytes.subarray(0, 16).toString("hex"),
      Buffer.from((await direct.get(`layout:3600:${EPOCH + 1}`))!, "base64")
        .subarray(0, 16)
        .toString("hex"),
    ]);
    // Expires at the end of its epoch + grace (+ a minute for clocks apart), measured from our clock.
    const expected = (EPOCH + 1) * HOUR_S * 1000 + 1800_000 + 60_000 - CLOCK;
    const ttl = await direct.pttl(`layout:3600:${EPOCH}`);
    assert.ok(ttl > expected - 10_000 && ttl <= expected, `PTTL ${ttl}, expected about ${expected}`);
    // A second process gets the same keys; nothing was said and no key material in any message.
    await using other = await redisTicketKeys({
      url: server.url,
      prefix: "layout",
      rotationSeconds: HOUR_S,
      now: () => CLOCK,
    });
    assert.deepEqual(other.keyIds, keys.keyIds);
    assert.deepEqual(messages, []);
  } finally {
    direct.disconnect();
  }
});

test("a password URL authenticates; a wrong one means own keys and one message without the password", async (t) => {
  if (!requireRedis(t)) return;
  const server = await redis({ password: "s3cret pw" });
  assert.match(server.url, /^redis:\/\/:s3cret%20pw@127\.0\.0\.1:\d+$/);
  await using good = await redisTicketKeys({ url: server.url, now: () => CLOCK });
  assert.deepEqual(good.state, { kind: "fleet" });
  const messages: string[] = [];
  const wrong = server.url.replace("s3cret%20pw", "wrong-password");
  await using bad = await redisTicketKeys({ url: wrong, now: () => CLOCK, log: (m) => messages.push(m) });
  assert.equal(bad.state.kind, "local");
  assert.equal(bad.keyIds.length, 2, "its own keys");
  assert.notDeepEqual(bad.keyIds, good.keyIds);
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable \(WRONGPASS/);
  assert.doesNotMatch(messages[0]!, /wrong-password|s3cret/);
});

test("rediss://: TLS to Redis with the CA given in options.tls", async (t) => {
  if (!requireRedis(t)) return;
  const server = await redis({ tls: p, password: "pw" });
  await using keys = await redisTicketKeys({
    url: server.url.replace("127.0.0.1", "localhost"),
    tls: { ca: p.ca.certificate, servername: "server.test" },
    now: () => CLOCK,
  });
  assert.deepEqual(keys.state, { kind: "fleet" });
  const messages: string[] = [];
  await using untrusted = await redisTicketKeys({
    url: server.url,
    tls: { ca: p.rogueCa.certificate, servername: "server.test" },
    now: () => CLOCK,
    log: (m) => messages.push(m),
  });
  assert.equal(untrusted.state.kind, "local", "a Redis whose certificate is not trusted is not used");
  assert.equal(messages.length, 1);
});

test("started while Redis is down: own keys, one message; the fleet's keys once Redis is up", async (t) => {
  if (!requireRedis(t)) return;
  const port = await freePort();
  const messages: string[] = [];
  await using keys = await redisTicketKeys({
    url: `redis://127.0.0.1:${port}`,
    prefix: "late",
    now: () => CLOCK,
    timeoutMs: 1000,
    log: (m) => messages.push(m),
  });
  assert.deepEqual(keys.state, { kind: "local", reason: "ECONNREFUSED" });
  assert.match(messages.join("\n"), /unreachable \(ECONNREFUSED\): this process uses its own keys/);
  const own = keys.keyIds;
  const server = await redis({ port });
  // The client reconnects on its own; wait (bounded) for the message that says so.
  const deadline = Date.now() + 15_000;
  const kind = (): string => keys.state.kind;
  while (kind() !== "fleet" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(keys.state, { kind: "fleet" });
  assert.equal(messages.length, 2);
  assert.match(messages[1]!, /reachable again/);
  // It offered its own keys to the empty Redis: they became the fleet's.
  assert.deepEqual(keys.keyIds, own);
  await using other = await redisTicketKeys({ url: server.url, prefix: "late", now: () => CLOCK });
  assert.deepEqual(other.keyIds, own);
  // Keys never appear in a message: neither as stored nor the keying material alone.
  const direct = new Redis(server.url);
  try {
    for (const name of await direct.keys("late:*")) {
      const stored = (await direct.get(name))!;
      const material = Buffer.from(stored, "base64").subarray(16);
      for (const form of [stored, material.toString("base64"), material.toString("hex")])
        assert.ok(!messages.some((m) => m.includes(form)), `${name} in a message`);
    }
  } finally {
    direct.disconnect();
  }
});

test("attach sets the keys on server credentials and refuses client credentials", async (t) => {
  if (!requireRedis(t)) return;
  const server = await redis();
  await using keys = await redisTicketKeys({ url: server.url, now: () => CLOCK });
  await using serverCredentials = await acquireTlsCredentials({
    role: "server",
    cert: p.server.certificate,
    key: p.server.privateKey,
  });
  const detach = keys.attach(serverCredentials);
  detach();
  await using client = await acquireTlsCredentials({ role: "client", ca: p.ca.certificate });
  assert.throws(() => keys.attach(client), /SEC_E_UNSUPPORTED_FUNCTION.*server credential/);
});

test("bad options are refused before connecting", async () => {
  await assert.rejects(redisTicketKeys({ url: "http://127.0.0.1:1" }), /redis:\/\/ or rediss:\/\//);
  await assert.rejects(
    redisTicketKeys({ url: "redis://127.0.0.1:1", rotationSeconds: 0 }),
    /rotationSeconds/,
  );
  await assert.rejects(redisTicketKeys({ url: "redis://127.0.0.1:1", graceSeconds: -1 }), /graceSeconds/);
});

test("without ioredis installed: a clear error naming the optional peer dependency", async () => {
  // A child process whose module resolution cannot find ioredis, as in an install without it.
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === "ioredis") throw Object.assign(new Error("Cannot find package 'ioredis'"), { code: "ERR_MODULE_NOT_FOUND" });
    return next(specifier, context);
  }`;
  const script = `
    import { register } from "node:module";
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
    const { redisTicketKeys } = await import(${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)});
    await redisTicketKeys({ url: "redis://127.0.0.1:1" }).catch((e) => console.log(e.code, e.message));`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    timeout: 30_000,
  });
  assert.match(
    stdout,
    /^ERR_MODULE_NOT_FOUND redisTicketKeys needs the Redis client ioredis, an optional peer dependency: npm install ioredis/,
  );
});

test("the timer rotates on its own: with a 1-second period the key changes and every member follows", async (t) => {
  if (!requireRedis(t)) return;
  const server = await redis();
  await using a = await redisTicketKeys({
    url: server.url,
    prefix: "timer",
    rotationSeconds: 1,
    graceSeconds: 5,
  });
  await using b = await redisTicketKeys({
    url: server.url,
    prefix: "timer",
    rotationSeconds: 1,
    graceSeconds: 5,
  });
  const first = a.keyIds[0];
  // Bounded wait for the rotation (no fixed sleep): the current key changes at the next second.
  const deadline = Date.now() + 10_000;
  while (a.keyIds[0] === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.notEqual(a.keyIds[0], first, "rotated");
  assert.ok(a.keyIds.includes(first!), "the previous key still decrypts (grace)");
  while (b.keyIds[0] !== a.keyIds[0] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(b.keyIds[0], a.keyIds[0], "the other member encrypts with the same new key");
});
