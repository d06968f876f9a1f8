/**
 * Issue 15: a fleet of TLS servers resumes each other's sessions through ticket keys in Redis.
 * A real redis-server on loopback and two server processes (A, B) on two ports, each with a
 * `redisTicketKeys` provider whose clock the test sets: a client (Node's `tls` and ours) resumes
 * on B with a ticket from A, on TLS 1.3 and 1.2, before and after a rotation, and gets a full
 * handshake (not an error) once the key of its ticket is retired. Redis killed mid-run: no
 * crash, one message per process, the fleet's keys again when it returns.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect as nodeConnect, type TLSSocket } from "node:tls";
import {
  acquireTlsCredentials,
  connectTls,
  type TlsCredentials,
  type TlsVersion,
} from "../../src/api/index.js";
import { FleetMember } from "../support/fleet-member.js";
import { withTimeout } from "../support/peers.js";
import { type Pki, pki } from "../support/pki.js";
import { type RedisServer, requireRedis, startRedis } from "../support/redis-server.js";

const ROTATION_S = 3600;
const GRACE_S = 600;
/** An epoch boundary plus 10 s: the fleet's clock at the start of each scenario. */
const T0 = Math.ceil(Date.UTC(2031, 0, 1) / (ROTATION_S * 1000)) * ROTATION_S * 1000 + 10_000;
const HOUR = ROTATION_S * 1000;

let p: Pki;
let redis: RedisServer | null = null;
const members: FleetMember[] = [];

before(async () => {
  p = await pki();
});
after(async () => {
  for (const m of members) await m.stop();
  await redis?.stop();
});

/** One connection; what the server answered and whether the session was resumed. */
interface Visit {
  answer: string;
  resumed: boolean;
}

/** A client that always offers the last ticket it received, from either process. */
interface Client {
  visit(port: number): Promise<Visit>;
  close(): Promise<void>;
}

function nodeClient(version: TlsVersion): Client {
  let session: Buffer | undefined;
  return {
    visit: (port) =>
      withTimeout(
        new Promise<Visit>((resolve, reject) => {
          const socket: TLSSocket = nodeConnect({
            host: "127.0.0.1",
            port,
            servername: "server.test",
            ca: p.ca.certificate,
            minVersion: version,
            maxVersion: version,
            ...(session && { session }),
          });
          let answer = "";
          socket.on("session", (s: Buffer) => {
            session = s;
          });
          socket.setEncoding("utf8").on("data", (d: string) => {
            answer += d;
          });
          socket.on("error", reject);
          socket.on("end", () => {
            resolve({ answer, resumed: socket.isSessionReused() });
            socket.end();
          });
        }),
        10_000,
        "node tls visit",
      ),
    close: async () => {},
  };
}

async function ourClient(version: TlsVersion): Promise<Client> {
  const credentials: TlsCredentials = await acquireTlsCredentials({
    role: "client",
    ca: p.ca.certificate,
    minVersion: version,
    maxVersion: version,
  });
  return {
    async visit(port) {
      const stream = await connectTls({ host: "127.0.0.1", port, servername: "server.test", credentials });
      let answer = "";
      for await (const chunk of stream) answer += chunk;
      return { answer, resumed: stream.isSessionReused() };
    },
    close: () => credentials.close(),
  };
}

/** Starts Redis (once) and a fresh fleet of two under its own prefix. */
async function fleet(prefix: string, clock: number): Promise<[FleetMember, FleetMember]> {
  redis ??= await startRedis();
  const options = {
    url: redis.url,
    prefix,
    rotationSeconds: ROTATION_S,
    graceSeconds: GRACE_S,
    clock,
    pki: p,
  };
  const a = await FleetMember.start("A", options);
  members.push(a);
  const b = await FleetMember.start("B", options);
  members.push(b);
  return [a, b];
}

async function stopFleet(...list: FleetMember[]): Promise<void> {
  for (const m of list) await m.stop();
}

async function setClock(list: FleetMember[], ms: number): Promise<string[]> {
  const ids = [];
  for (const m of list) ids.push((await m.setClock(ms)).keyIds);
  assert.deepEqual(ids[1], ids[0], "every member uses the same keys");
  return ids[0]!;
}

describe("a fleet of two processes shares ticket keys through Redis", () => {
  const kinds = [
    ["Node tls", nodeClient],
    ["async-sspi", ourClient],
  ] as const;
  for (const version of ["TLSv1.3", "TLSv1.2"] as const)
    for (const [kind, makeClient] of kinds)
      test(`${version}, ${kind} client: resumes on B with A's ticket, across a rotation; a retired key means a full handshake`, async (t) => {
        if (!requireRedis(t)) return;
        const [a, b] = await fleet(`test:${version}:${kind}`, T0);
        const keysAtStart = a.events[0]!.event === "listening" ? a.events[0]!.keyIds : [];
        assert.equal(keysAtStart.length, 2, "the current key and the next one");
        const client = await makeClient(version);
        const stale = await makeClient(version);
        try {
          assert.deepEqual(await client.visit(a.port), { answer: "A", resumed: false });
          assert.deepEqual(await client.visit(b.port), { answer: "B", resumed: true }, "A's ticket on B");
          assert.deepEqual(await client.visit(a.port), { answer: "A", resumed: true }, "B's ticket on A");
          assert.deepEqual(await stale.visit(a.port), { answer: "A", resumed: false });

          // A rotates first: its new-key tickets already resume on B, which has the next key too.
          const rotated = (await a.setClock(T0 + HOUR)).keyIds;
          assert.equal(rotated[0], keysAtStart[1], "the next epoch's key, made ahead, now encrypts");
          assert.deepEqual(
            await client.visit(a.port),
            { answer: "A", resumed: true },
            "an old-key ticket after the rotation",
          );
          assert.deepEqual(
            await client.visit(b.port),
            { answer: "B", resumed: true },
            "A's new-key ticket on B before B rotated",
          );
          await setClock([a, b], T0 + HOUR);
          assert.deepEqual(await client.visit(b.port), { answer: "B", resumed: true });

          // The old key retires (grace over): its tickets get a full handshake, never an error.
          const retired = await setClock([a, b], T0 + HOUR + GRACE_S * 1000);
          assert.ok(!retired.includes(keysAtStart[0]!), "the first key is no longer in use");
          assert.deepEqual(
            await stale.visit(b.port),
            { answer: "B", resumed: false },
            "a retired key's ticket",
          );
          assert.deepEqual(
            await stale.visit(a.port),
            { answer: "A", resumed: true },
            "…whose new ticket resumes on A",
          );
        } finally {
          await client.close();
          await stale.close();
          await stopFleet(a, b);
        }
      });

  test("Redis killed mid-run: no crash, one message per process, the fleet's keys again when it returns", async (t) => {
    if (!requireRedis(t)) return;
    const [a, b] = await fleet("test:outage", T0);
    const client = nodeClient("TLSv1.3");
    try {
      assert.equal((await client.visit(a.port)).resumed, false);
      const before = (await a.setClock(T0)).keyIds;

      const lostA = a.next((e) => e.event === "log" && /unreachable/.test(e.message), "Redis unreachable");
      const lostB = b.next((e) => e.event === "log" && /unreachable/.test(e.message), "Redis unreachable");
      await redis!.kill();
      await Promise.all([lostA, lostB]);
      // Refreshes while Redis is away: the last keys stay, nothing more is said.
      for (let i = 1; i <= 3; i++) {
        assert.deepEqual(await setClock([a, b], T0 + i * 1000), before);
      }
      assert.deepEqual(
        await client.visit(b.port),
        { answer: "B", resumed: true },
        "still resuming across processes",
      );

      const backA = a.next((e) => e.event === "log" && /reachable again/.test(e.message), "Redis back");
      const backB = b.next((e) => e.event === "log" && /reachable again/.test(e.message), "Redis back");
      await redis!.restart(); // empty: the members give it their keys back
      await Promise.all([backA, backB]);
      assert.deepEqual(await setClock([a, b], T0 + 5000), before, "the fleet's keys, restored in Redis");
      assert.deepEqual(await client.visit(a.port), { answer: "A", resumed: true });
      assert.deepEqual(await client.visit(b.port), { answer: "B", resumed: true });
      for (const m of [a, b]) {
        assert.equal(m.logs.filter((l) => /unreachable/.test(l)).length, 1, `${m.name}: said once`);
        assert.equal(m.child.exitCode, null, `${m.name} still runs`);
      }
    } finally {
      await stopFleet(a, b);
    }
  });
});
