/**
 * The SSPI server survives a flood of malformed ClientHellos (200 concurrent TCP connections:
 * mutated genuine ClientHellos, random bytes, an HTTP request, oversized and zero-length
 * records (a stream of 40), a silent connection that just closes) while Node `tls.connect` clients are served
 * correctly (echo compared). Every malformed connection is answered (an alert, or the
 * connection closed) within a bounded time; nothing is left open.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect as netConnect } from "node:net";
import { after, before, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import fc from "fast-check";
import { type CredHandle, CtxtHandle, handleStatistics, promises as sspi } from "../../src/index.js";
import {
  acquire,
  type Pki,
  pki,
  SECPKG_CRED_INBOUND,
  SECPKG_CRED_OUTBOUND,
} from "../blocking/memory-handshake.js";
import { leakCheck } from "../support/sspi-driver.js";
import {
  deleteIfLive,
  establishingCall,
  fuzzParameters,
  isAlertRecord,
  mutationArbitrary,
  parseRecords,
  recordBytes,
  sspiEchoServer,
  withTimeout,
} from "./support.js";

const MALFORMED = 200;
const GOOD = 20;

let base: Pki;
let serverCred: CredHandle;
let clientCred: CredHandle;
const leaks = leakCheck();
let contexts: number;

before(async () => {
  contexts = handleStatistics().liveContexts;
  base = await pki();
  serverCred = await acquire("async", SECPKG_CRED_INBOUND, base.server);
  clientCred = await acquire("async", SECPKG_CRED_OUTBOUND, base.client);
});
after(async () => {
  await sspi.FreeCredentialsHandle(serverCred);
  await sspi.FreeCredentialsHandle(clientCred);
  assert.equal(handleStatistics().liveContexts, contexts, "every context freed");
  await leaks.verify();
});

/** A genuine ClientHello from our client (the context is deleted at once). */
async function genuineHello(): Promise<Uint8Array> {
  const h = new CtxtHandle();
  const r = await establishingCall("initiator", clientCred, h, true, null);
  await deleteIfLive(h);
  return r.token;
}

/** Sends `bytes`, half-closes, and collects what the server answers until it closes. */
function malformedConnection(
  port: number,
  bytes: Uint8Array | null,
): Promise<{ answer: Buffer; port: number }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1");
    const got: Buffer[] = [];
    let local = -1;
    socket.on("data", (d: Buffer) => got.push(d));
    socket.on("error", () => {});
    socket.on("close", () => resolve({ answer: Buffer.concat(got), port: local }));
    socket.on("connect", () => {
      local = socket.localPort ?? -1;
      if (bytes !== null) socket.write(bytes);
      socket.end();
    });
    socket.setTimeout(30_000, () => {
      socket.destroy();
      reject(new Error("the server never closed a malformed connection"));
    });
  });
}

/** A Node TLS client: sends `payload`, reads the echo, closes. */
function goodClient(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: "127.0.0.1", servername: "server.test", ca: base.caPem });
    const got: Buffer[] = [];
    let length = 0;
    socket.on("secureConnect", () => socket.write(payload));
    socket.on("data", (d: Buffer) => {
      got.push(d);
      length += d.length;
      if (length >= payload.length) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(got)));
    socket.setTimeout(30_000, () => socket.destroy(new Error("good client timed out")));
  });
}

test(`${MALFORMED} concurrent malformed ClientHellos while ${GOOD} Node TLS clients are served`, async (t) => {
  const { seed } = fuzzParameters(1);
  t.diagnostic(`seed ${seed}`);
  const hello = await genuineHello();
  const mutations = fc.sample(mutationArbitrary(), { numRuns: MALFORMED, seed });
  const inputs: Array<Uint8Array | null> = mutations.map((m, i) => {
    switch (i % 10) {
      case 0:
        return randomBytes(1 + (i % 700));
      case 1:
        return new TextEncoder().encode("GET / HTTP/1.1\r\nHost: server.test\r\n\r\n");
      case 2:
        return recordBytes(22, randomBytes(100), 0x0301, 0xffff); // length beyond 2^14 + 2048
      case 3:
        // OpenSSL skips a few empty records and refuses the 33rd (record too small).
        return Buffer.concat(Array.from({ length: 40 }, () => recordBytes(22, new Uint8Array(0))));
      case 4:
        return null; // connects and closes
      default:
        return m.apply(hello);
    }
  });
  const server = await sspiEchoServer(serverCred, { waitMs: 20_000 });
  try {
    const flood = Promise.all(inputs.map((bytes) => malformedConnection(server.port, bytes)));
    const good = Promise.all(
      Array.from({ length: GOOD }, async () => {
        const payload = randomBytes(1 + Math.floor(Math.random() * 20_000));
        const echo = await goodClient(server.port, payload);
        assert.ok(echo.equals(payload), "a well-behaved client gets its bytes back");
      }),
    );
    const [answers] = await withTimeout(Promise.all([flood, good]), 90_000, "flood");
    let alerts = 0;
    let knownBug = 0;
    for (const [i, { answer, port }] of answers.entries()) {
      const records = parseRecords(answer);
      const last = records[records.length - 1];
      const endsWithAlert = last !== undefined && isAlertRecord(last);
      if (endsWithAlert) alerts++;
      const step = server.stats.firstStep.get(port);
      // Whatever the server refused, the client got the alert (apart from the known bug).
      if (step?.endsWith(":missing-alert")) knownBug++;
      else if (step?.startsWith("SEC_E_") && step !== "SEC_E_INCOMPLETE_MESSAGE")
        assert.ok(endsWithAlert, `connection ${i}: ${step} answered with an alert`);
      // The inputs that can only be refused (an HTTP request, a length beyond any record, a
      // stream of 40 zero-length records) are refused with an alert, every one.
      if ([1, 2, 3].includes(i % 10))
        assert.ok(endsWithAlert, `connection ${i} (${i % 10}): answered with an alert`);
    }
    t.diagnostic(
      `${alerts} answers ending in an alert, ${knownBug} hit the known missing-alert bug; server ${JSON.stringify({ ...server.stats, statuses: Object.fromEntries(server.stats.statuses), firstStep: undefined })}`,
    );
    assert.equal(server.stats.completed, GOOD, "only the good clients complete");
    assert.equal(server.stats.connections, MALFORMED + GOOD, "every connection reached the server");
  } finally {
    await server.close();
  }
});
