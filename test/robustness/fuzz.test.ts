/**
 * Property-based hostile input (fast-check): AcceptSecurityContext, InitializeSecurityContext and
 * DecryptMessage fed arbitrary bytes, mutated valid transcripts and arbitrary buffer descriptors.
 * Every case ends in a defined status within a bounded time (never an exception, never a hang),
 * a failed handshake call carries the fatal alert TLS requires, a failed DecryptMessage is
 * followed by an alert the peer decodes, and each case leaves no context behind.
 *
 * Budget: a few dozen runs per property in `npm test` (the file stays under a minute); `npm run
 * fuzz` runs `FUZZ_RUNS` (default 2000) per property. The seed is printed with every failure
 * (`FUZZ_SEED=<seed>` replays it).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import {
  AcceptSecurityContext,
  box,
  type CredHandle,
  CtxtHandle,
  DecryptMessage,
  EncryptMessage,
  FAILED,
  handleStatistics,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_TOKEN,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_OK,
  SEC_I_CONTEXT_EXPIRED,
  SEC_I_CONTINUE_NEEDED,
  SEC_I_RENEGOTIATE,
  type SECURITY_STATUS,
  SspiGetLastErrorInfo,
  promises as sspi,
  statusName,
} from "../../src/index.js";
import { memoryHandshake, type Pki, pki } from "../blocking/memory-handshake.js";
import { acquireOk, decryptOnce, encrypt, leakCheck } from "../support/sspi-driver.js";
import {
  ASC_FLAGS,
  assertFatalAlert,
  assertHandlesAt,
  CASE_TIMEOUT_MS,
  type CallResult,
  canonicalFlight,
  checkProperty,
  deleteIfLive,
  establishingCall,
  feedChunks,
  ISC_FLAGS,
  mutationArbitrary,
  parseRecords,
  recordBytes,
  splitAt,
  VERSIONS,
  type Version,
  versionedAuth,
  withTimeout,
} from "./support.js";

const SECPKG_CRED_INBOUND = 1;
const SECPKG_CRED_OUTBOUND = 2;

/** Runs per property inside `npm test`. */
const RUNS = 60;

let base: Pki;
const creds = new Map<Version, { client: CredHandle; server: CredHandle }>();
const leaks = leakCheck();
let baseline: ReturnType<typeof handleStatistics>;

before(async () => {
  base = await pki();
  for (const v of VERSIONS) {
    const auth = versionedAuth(base, v);
    creds.set(v, {
      client: await acquireOk(SECPKG_CRED_OUTBOUND, auth.client),
      server: await acquireOk(SECPKG_CRED_INBOUND, auth.server),
    });
  }
  baseline = handleStatistics();
});

after(async () => {
  for (const c of creds.values()) {
    await sspi.FreeCredentialsHandle(c.client);
    await sspi.FreeCredentialsHandle(c.server);
  }
  await leaks.verify();
});

const credsOf = (v: Version) => creds.get(v)!;

/** Statuses an establishing call may end in on hostile input. */
function assertDefinedHandshakeStatus(r: CallResult, what: string): void {
  assert.equal(typeof r.status, "number", `${what}: a status`);
  assert.ok(statusName(r.status), `${what}: a named status (${r.status})`);
  if (r.status === SEC_E_INCOMPLETE_MESSAGE) {
    assert.ok(r.missing >= 0, `${what}: SECBUFFER_MISSING`);
    return;
  }
  if (!FAILED(r.status)) return;
  assertFatalAlert(r, `${what} (${statusName(r.status)})`);
}

/** A bounded case that must leave no context behind. */
async function boundedCase(what: string, body: (track: (h: CtxtHandle) => CtxtHandle) => Promise<void>) {
  const handles: CtxtHandle[] = [];
  try {
    await withTimeout(
      body((h) => {
        handles.push(h);
        return h;
      }),
      CASE_TIMEOUT_MS,
      what,
    );
  } finally {
    for (const h of handles) await deleteIfLive(h);
  }
  assertHandlesAt(baseline, what);
}

const versionArb = fc.constantFrom<Version>(...VERSIONS);

/** Arbitrary bytes, and record-shaped bytes (a plausible header with arbitrary fields and body). */
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc
    .tuple(
      fc.constantFrom(20, 21, 22, 23, 24, 0, 255),
      fc.constantFrom(0x0300, 0x0301, 0x0303, 0x0304, 0x0203, 0xffff),
      fc.uint8Array({ maxLength: 600 }),
      fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    )
    .map(([type, version, body, length]) => recordBytes(type, body, version, length ?? body.length)),
  fc
    .tuple(fc.integer({ min: 0, max: 0xff_ffff }), fc.uint8Array({ maxLength: 400 }))
    .map(([length, body]) => {
      // A handshake record holding a ClientHello/ServerHello header with an arbitrary length.
      const msg = Buffer.concat([Buffer.from([1, length >> 16, (length >> 8) & 0xff, length & 0xff]), body]);
      return recordBytes(22, msg);
    }),
  fc.constant(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")),
  fc.constant(recordBytes(22, new Uint8Array(16_385))),
  fc.constant(recordBytes(22, new Uint8Array(0))),
);

describe("AcceptSecurityContext and InitializeSecurityContext on hostile bytes", () => {
  test("ASC: arbitrary bytes as the first input", async () => {
    await checkProperty(
      "ASC arbitrary bytes",
      fc.tuple(versionArb, hostileBytes),
      async ([v, bytes]) =>
        boundedCase("ASC arbitrary bytes", async (track) => {
          const h = track(new CtxtHandle());
          const r = await establishingCall("acceptor", credsOf(v).server, h, true, bytes);
          assertDefinedHandshakeStatus(r, "ASC");
          assert.notEqual(r.status, SEC_E_OK, "random bytes never complete a handshake");
        }),
      RUNS,
    );
  });

  test("ISC: arbitrary bytes as the server's flight", async () => {
    await checkProperty(
      "ISC arbitrary bytes",
      fc.tuple(versionArb, hostileBytes),
      async ([v, bytes]) =>
        boundedCase("ISC arbitrary bytes", async (track) => {
          const h = track(new CtxtHandle());
          const hello = await establishingCall("initiator", credsOf(v).client, h, true, null);
          assert.equal(hello.status, SEC_I_CONTINUE_NEEDED);
          const r = await establishingCall("initiator", credsOf(v).client, h, false, bytes);
          assertDefinedHandshakeStatus(r, "ISC");
          assert.notEqual(r.status, SEC_E_OK, "random bytes never complete a handshake");
        }),
      RUNS,
    );
  });

  test("ASC: mutated ClientHello", async () => {
    await checkProperty(
      "ASC mutated ClientHello",
      fc.tuple(versionArb, mutationArbitrary()),
      async ([v, mutation]) =>
        boundedCase(`ASC ${mutation.label}`, async (track) => {
          const c = track(new CtxtHandle());
          const s = track(new CtxtHandle());
          const hello = await establishingCall("initiator", credsOf(v).client, c, true, null);
          const mutated = mutation.apply(hello.token);
          const r = await establishingCall("acceptor", credsOf(v).server, s, true, mutated);
          assertDefinedHandshakeStatus(r, `ASC (${mutation.label})`);
          assert.notEqual(r.status, SEC_E_OK, mutation.label);
        }),
      RUNS,
    );
  });

  test("ISC: mutated server flight", async () => {
    await checkProperty(
      "ISC mutated server flight",
      fc.tuple(versionArb, mutationArbitrary()),
      async ([v, mutation]) =>
        boundedCase(`ISC ${mutation.label}`, async (track) => {
          const c = track(new CtxtHandle());
          const s = track(new CtxtHandle());
          const hello = await establishingCall("initiator", credsOf(v).client, c, true, null);
          const flight = await establishingCall("acceptor", credsOf(v).server, s, true, hello.token);
          assert.equal(flight.status, SEC_I_CONTINUE_NEEDED);
          const mutated = mutation.apply(flight.token);
          const r = await establishingCall("initiator", credsOf(v).client, c, false, mutated);
          assertDefinedHandshakeStatus(r, `ISC (${mutation.label})`);
          if (r.status === SEC_E_OK)
            assert.deepEqual(
              Buffer.from(canonicalFlight(mutated.subarray(0, mutated.length - r.extra), v)),
              Buffer.from(canonicalFlight(flight.token, v)),
              `${mutation.label}: only the genuine flight completes the handshake`,
            );
        }),
      RUNS,
    );
  });

  test("ASC: mutated client Finished flight", async () => {
    await checkProperty(
      "ASC mutated client Finished",
      fc.tuple(versionArb, mutationArbitrary()),
      async ([v, mutation]) =>
        boundedCase(`ASC Finished ${mutation.label}`, async (track) => {
          const c = track(new CtxtHandle());
          const s = track(new CtxtHandle());
          const hello = await establishingCall("initiator", credsOf(v).client, c, true, null);
          const flight = await establishingCall("acceptor", credsOf(v).server, s, true, hello.token);
          const finished = await establishingCall("initiator", credsOf(v).client, c, false, flight.token);
          assert.ok(finished.token.length > 0);
          const mutated = mutation.apply(finished.token);
          const r = await establishingCall("acceptor", credsOf(v).server, s, false, mutated);
          assertDefinedHandshakeStatus(r, `ASC (${mutation.label})`);
          if (r.status === SEC_E_OK)
            assert.deepEqual(
              Buffer.from(canonicalFlight(mutated.subarray(0, mutated.length - r.extra), v)),
              Buffer.from(canonicalFlight(finished.token, v)),
              `${mutation.label}: only the genuine Finished completes the handshake`,
            );
        }),
      RUNS,
    );
  });
});

/** Runs a handshake delivering each flight in the chunks `cut(flight, index)` returns. */
async function chunkedHandshake(
  v: Version,
  cut: (flight: Uint8Array, index: number) => Uint8Array[],
  track: (h: CtxtHandle) => CtxtHandle,
): Promise<void> {
  const { client, server } = credsOf(v);
  const c = track(new CtxtHandle());
  const s = track(new CtxtHandle());
  const hello = await establishingCall("initiator", client, c, true, null);
  const flights: Uint8Array[] = [hello.token];
  let clientDone = false;
  let serverDone = false;
  let firstServer = true;
  for (let i = 0; i < 6 && !(clientDone && serverDone); i++) {
    const role = i % 2 === 0 ? "acceptor" : "initiator";
    const flight = flights[i]!;
    const fed = await feedChunks(
      role,
      role === "acceptor" ? server : client,
      role === "acceptor" ? s : c,
      role === "acceptor" && firstServer,
      cut(flight, i),
    );
    if (role === "acceptor") firstServer = false;
    const status = fed.last?.status;
    assert.ok(
      status === SEC_E_OK || status === SEC_I_CONTINUE_NEEDED,
      `flight ${i} → ${role}: ${statusName(status ?? 0)}`,
    );
    assert.equal(fed.leftover.length, 0, `flight ${i}: nothing left over`);
    if (status === SEC_E_OK) {
      if (role === "acceptor") serverDone = true;
      else clientDone = true;
    }
    flights.push(Buffer.concat(fed.tokens));
    if (flights[i + 1]!.length === 0 && !(clientDone && serverDone))
      assert.fail(`flight ${i}: no output and not done`);
  }
  assert.ok(clientDone && serverDone, "both sides complete");
  // The connection works: one message each way (the client reads tickets first on TLS 1.3).
  const toClient = flights[flights.length - 1]!;
  const ping = new TextEncoder().encode(`ping ${v}`);
  const atServer = decryptOnce(s, encrypt(c, ping));
  assert.equal(atServer.status, SEC_E_OK);
  assert.deepEqual(Buffer.from(atServer.plaintext), Buffer.from(ping));
  const pong = encrypt(s, new TextEncoder().encode("pong"));
  const got = decryptAllOk(
    c,
    Buffer.concat([clientDone && v === "TLSv1.3" ? toClient : new Uint8Array(0), pong]),
  );
  assert.equal(Buffer.from(got).toString(), "pong");
}

/** Decrypts every record of `bytes`, all of which must succeed; returns the plaintext. */
function decryptAllOk(handle: CtxtHandle, bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const r = decryptOnce(handle, rest);
    assert.equal(r.status, SEC_E_OK, `DecryptMessage: ${statusName(r.status)}`);
    parts.push(r.plaintext);
    rest = r.rest;
  }
  return Buffer.concat(parts);
}

/** Every offset inside the record headers of `flight` (and one either side of each record). */
function headerOffsets(flight: Uint8Array): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const r of parseRecords(flight)) {
    for (let k = -1; k <= 6; k++) if (offset + k > 0 && offset + k < flight.length) out.push(offset + k);
    offset += 5 + r.body.length;
  }
  return out;
}

describe("valid transcripts split anywhere complete the handshake", () => {
  for (const v of VERSIONS) {
    test(`${v}: the ClientHello split at every offset`, async () => {
      const { client, server } = credsOf(v);
      await boundedCase("ClientHello splits", async (track) => {
        const c = track(new CtxtHandle());
        const hello = (await establishingCall("initiator", client, c, true, null)).token;
        for (let k = 1; k < hello.length; k++) {
          const s = new CtxtHandle();
          try {
            const fed = await feedChunks("acceptor", server, s, true, [
              hello.subarray(0, k),
              hello.subarray(k),
            ]);
            assert.equal(fed.last?.status, SEC_I_CONTINUE_NEEDED, `split at ${k}`);
            assert.equal(fed.calls, 2, `split at ${k}: INCOMPLETE, then the flight`);
          } finally {
            await deleteIfLive(s);
          }
        }
      });
    });

    test(`${v}: every flight split inside and around each record header`, async () => {
      // One handshake per offset of each flight (the other flights whole).
      for (let flightIndex = 0; flightIndex < (v === "TLSv1.2" ? 4 : 3); flightIndex++) {
        let offsets: number[] = [];
        await boundedCase("probe", (track) =>
          chunkedHandshake(
            v,
            (f, i) => {
              if (i === flightIndex) offsets = headerOffsets(f);
              return [f];
            },
            track,
          ),
        );
        for (const k of offsets)
          await boundedCase(`flight ${flightIndex} split at ${k}`, (track) =>
            chunkedHandshake(v, (f, i) => (i === flightIndex ? splitAt(f, [k]) : [f]), track),
          );
      }
    });
  }

  test("every flight split at random offsets (property)", async () => {
    await checkProperty(
      "random splits",
      fc.tuple(
        versionArb,
        fc.array(fc.array(fc.nat({ max: 8000 }), { maxLength: 6 }), { minLength: 5, maxLength: 5 }),
      ),
      async ([v, cuts]) =>
        boundedCase("random splits", (track) =>
          chunkedHandshake(v, (f, i) => splitAt(f, cuts[i] ?? []), track),
        ),
      RUNS,
    );
  });
});

/** An established pair, the client's unread bytes (TLS 1.3 tickets), and the version's credentials. */
async function establishedPair(v: Version, track: (h: CtxtHandle) => CtxtHandle) {
  const { client, server } = credsOf(v);
  const hs = await memoryHandshake(client, server, () => "async");
  track(hs.client);
  track(hs.server);
  assert.ok(hs.trace.includes("client:0x0") && hs.trace.includes("server:0x0"), `handshake: ${hs.trace}`);
  return { ...hs, clientCred: client, serverCred: server };
}

/** Statuses DecryptMessage documents (message-protection.ts). */
const DECRYPT_STATUSES = new Set<SECURITY_STATUS>([
  SEC_E_OK,
  SEC_I_RENEGOTIATE,
  SEC_I_CONTEXT_EXPIRED,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_INVALID_TOKEN,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_CONTEXT_EXPIRED,
]);

/** After a failed DecryptMessage on the server: ASC with no input returns the alert; the client decodes it. */
async function checkDecryptAlert(
  pair: Awaited<ReturnType<typeof establishedPair>>,
  status: SECURITY_STATUS,
  what: string,
): Promise<void> {
  if (status !== SEC_E_MESSAGE_ALTERED && status !== SEC_E_DECRYPT_FAILURE) return;
  const r = await establishingCall("acceptor", pair.serverCred, pair.server, false, null);
  assert.ok(r.token.length > 0, `${what}: ASC returns the alert record after ${statusName(status)}`);
  // The server's last flight is still unread by the client only when the server finished last
  // (TLS 1.3: its tickets); otherwise the client's last ISC consumed it.
  const unread = pair.trace.at(-1)?.startsWith("server") ? pair.toClient : new Uint8Array(0);
  let rest: Uint8Array = Buffer.concat([unread, r.token]);
  let last: SECURITY_STATUS = SEC_E_OK;
  while (rest.length > 0 && last === SEC_E_OK) {
    const d = decryptOnce(pair.client, rest);
    last = d.status;
    rest = d.rest;
  }
  assert.equal(last, SEC_E_ILLEGAL_MESSAGE, `${what}: the client receives a fatal alert`);
  if (status === SEC_E_MESSAGE_ALTERED)
    assert.equal(
      SspiGetLastErrorInfo(pair.client)?.alertReceived?.description,
      20,
      `${what}: bad_record_mac`,
    );
}

describe("DecryptMessage on hostile bytes", () => {
  test("arbitrary bytes", async () => {
    await checkProperty(
      "DecryptMessage arbitrary bytes",
      fc.tuple(versionArb, hostileBytes),
      async ([v, bytes]) =>
        boundedCase("DecryptMessage arbitrary bytes", async (track) => {
          const pair = await establishedPair(v, track);
          const r = decryptOnce(pair.server, bytes);
          assert.ok(DECRYPT_STATUSES.has(r.status), `a documented status: ${statusName(r.status)}`);
          if (r.status === SEC_E_OK) assert.equal(r.plaintext.length, 0, "no plaintext from forged bytes");
          await checkDecryptAlert(pair, r.status, "arbitrary bytes");
        }),
      RUNS,
    );
  });

  test("mutated application-data records", async () => {
    await checkProperty(
      "DecryptMessage mutated records",
      fc.tuple(versionArb, fc.uint8Array({ minLength: 0, maxLength: 2000 }), mutationArbitrary()),
      async ([v, plaintext, mutation]) =>
        boundedCase(`DecryptMessage ${mutation.label}`, async (track) => {
          const pair = await establishedPair(v, track);
          const record = encrypt(pair.client, plaintext);
          const mutated = mutation.apply(record);
          const r = decryptOnce(pair.server, Uint8Array.from(mutated)); // a copy: decryptOnce of a Buffer decrypts in place
          assert.ok(DECRYPT_STATUSES.has(r.status), `${mutation.label}: ${statusName(r.status)}`);
          if (r.status === SEC_E_OK) {
            // AEAD: only the genuine record decrypts, to the genuine plaintext.
            assert.deepEqual(
              Buffer.from(mutated.subarray(0, record.length)),
              Buffer.from(record),
              `${mutation.label}: a forged record decrypted (${statusName(r.status)}, ${Buffer.from(mutated).toString("hex")} vs ${Buffer.from(record).toString("hex")})`,
            );
            assert.deepEqual(Buffer.from(r.plaintext), Buffer.from(plaintext), mutation.label);
          }
          await checkDecryptAlert(pair, r.status, mutation.label);
        }),
      RUNS,
    );
  });

  test("records replayed, reordered and split at every offset", async () => {
    for (const v of VERSIONS) {
      await boundedCase(`${v} replay/reorder/split`, async (track) => {
        const pair = await establishedPair(v, track);
        const a = encrypt(pair.client, new TextEncoder().encode("first"));
        const b = encrypt(pair.client, new TextEncoder().encode("second"));
        // Every split of a record: INCOMPLETE with the exact missing count, then the record.
        for (let k = 0; k < a.length; k++) {
          const partial = decryptOnce(pair.server, a.subarray(0, k));
          assert.equal(partial.status, SEC_E_INCOMPLETE_MESSAGE, `split at ${k}`);
        }
        assert.equal(Buffer.from(decryptOnce(pair.server, a).plaintext).toString(), "first");
        // A replay of the first record fails authentication (sequence number), with the alert.
        const replay = decryptOnce(pair.server, a);
        assert.equal(replay.status, SEC_E_MESSAGE_ALTERED, "replay");
        await checkDecryptAlert(pair, replay.status, "replay");
        assert.equal(decryptOnce(pair.server, b).status, SEC_E_CONTEXT_EXPIRED, "no data after a failure");
      });
      await boundedCase(`${v} reorder`, async (track) => {
        const pair = await establishedPair(v, track);
        const a = encrypt(pair.client, new TextEncoder().encode("first"));
        const b = encrypt(pair.client, new TextEncoder().encode("second"));
        const r = decryptOnce(pair.server, Buffer.concat([b, a]));
        assert.equal(r.status, SEC_E_MESSAGE_ALTERED, "reordered records");
        await checkDecryptAlert(pair, r.status, "reorder");
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Arbitrary buffer descriptors
// ---------------------------------------------------------------------------------------------

const pool = new Uint8Array(256).map((_, i) => (i * 37) & 0xff);
const bytesArb = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(fc.nat({ max: 255 }), fc.nat({ max: 64 })).map(([o, l]) => pool.subarray(o, Math.min(256, o + l))),
  fc.constant(new Uint8Array(new SharedArrayBuffer(16))),
  fc.constant(new Uint16Array(4)),
  fc.constant(new DataView(new ArrayBuffer(8))),
  fc.constant(new ArrayBuffer(8)),
  fc.anything(),
);
const cbArb = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(-1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity, -0, 1.5),
  fc.anything(),
);
const typeArb = fc.oneof(
  fc.integer({ min: 0, max: 20 }),
  fc.constantFrom(0x8000_0002, 0x1000_0002, 0x4000_0000 | 1, -1, 2 ** 32, 1.5),
  fc.anything(),
);
const bufferArb = fc.oneof(
  fc.record({ BufferType: typeArb, cbBuffer: cbArb, pvBuffer: bytesArb }, { requiredKeys: [] }),
  fc
    .tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -2, max: 2 }))
    .map(([BufferType, pvBuffer, delta]) => ({ BufferType, cbBuffer: pvBuffer.length + delta, pvBuffer })),
  fc.anything(),
);
const descArb = fc.oneof(
  fc.anything(),
  fc.record(
    {
      ulVersion: fc.oneof(fc.constant(0), fc.anything()),
      cBuffers: fc.oneof(fc.integer({ min: -2, max: 24 }), fc.anything()),
      pBuffers: fc.oneof(fc.array(bufferArb, { maxLength: 24 }), fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc
    .array(bufferArb, { maxLength: 6 })
    .chain((pBuffers) =>
      fc
        .integer({ min: -1, max: pBuffers.length + 1 })
        .map((cBuffers) => ({ ulVersion: 0, cBuffers, pBuffers })),
    ),
);

/** A status (a named SECURITY_STATUS) and not an exception. */
function assertStatus(status: unknown, what: string): void {
  assert.equal(typeof status, "number", `${what}: returns a status`);
  assert.ok(statusName(status as number), `${what}: a named status (${status})`);
}

describe("arbitrary buffer descriptors", () => {
  test("AcceptSecurityContext and InitializeSecurityContext (async and blocking)", async () => {
    await checkProperty(
      "ISC/ASC descriptors",
      fc.tuple(
        versionArb,
        descArb,
        descArb,
        fc.constantFrom("async", "blocking"),
        fc.boolean(),
        fc.boolean(),
      ),
      async ([v, input, output, mode, server, later]) =>
        boundedCase("ISC/ASC descriptors", async (track) => {
          const { client: cc, server: sc } = credsOf(v);
          const h = track(new CtxtHandle());
          if (later) {
            // A live context mid-handshake receives the descriptor.
            const first = server
              ? await establishingCall("initiator", cc, track(new CtxtHandle()), true, null).then((hello) =>
                  establishingCall("acceptor", sc, h, true, hello.token),
                )
              : await establishingCall("initiator", cc, h, true, null);
            assert.equal(first.status, SEC_I_CONTINUE_NEEDED);
          }
          const attr = box(0);
          let status: unknown;
          try {
            if (server) {
              const args = [
                later ? null : sc,
                later ? h : null,
                input,
                ASC_FLAGS,
                0,
                h,
                output,
                attr,
                null,
              ] as const;
              status =
                mode === "blocking"
                  ? AcceptSecurityContext(...(args as unknown as Parameters<typeof AcceptSecurityContext>))
                  : await sspi.AcceptSecurityContext(
                      ...(args as unknown as Parameters<typeof sspi.AcceptSecurityContext>),
                    );
            } else {
              const args = [
                later ? null : cc,
                later ? h : null,
                "server.test",
                ISC_FLAGS,
                0,
                0,
                input,
                0,
                h,
                output,
                attr,
                null,
              ] as const;
              status = await sspi.InitializeSecurityContext(
                ...(args as unknown as Parameters<typeof sspi.InitializeSecurityContext>),
              );
            }
          } catch (error) {
            assert.fail(`threw instead of returning a status: ${error}`);
          }
          assertStatus(status, server ? "ASC" : "ISC");
        }),
      RUNS * 3,
    );
  });

  test("EncryptMessage and DecryptMessage", async () => {
    await checkProperty(
      "Encrypt/DecryptMessage descriptors",
      fc.tuple(
        versionArb,
        fc.array(descArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      ),
      async ([v, descs, decrypt]) =>
        boundedCase("Encrypt/DecryptMessage descriptors", async (track) => {
          const pair = await establishedPair(v, track);
          for (const [i, desc] of descs.entries()) {
            let status: unknown;
            try {
              status = decrypt[i]
                ? DecryptMessage(pair.server, desc as never, 0, null)
                : EncryptMessage(pair.client, 0, desc as never, 0);
            } catch (error) {
              assert.fail(`${decrypt[i] ? "DecryptMessage" : "EncryptMessage"} threw: ${error}`);
            }
            assertStatus(status, decrypt[i] ? "DecryptMessage" : "EncryptMessage");
          }
        }),
      RUNS * 3,
    );
  });
});

describe("regressions found by the properties", () => {
  test("a step that fails after producing handshake output still ends its token with the alert", async () => {
    for (const v of VERSIONS) {
      await boundedCase(`${v} duplicate ClientHello`, async (track) => {
        const c = track(new CtxtHandle());
        const s = track(new CtxtHandle());
        const hello = await establishingCall("initiator", credsOf(v).client, c, true, null);
        const r = await establishingCall(
          "acceptor",
          credsOf(v).server,
          s,
          true,
          Buffer.concat([hello.token, hello.token]),
        );
        assert.ok(FAILED(r.status), "a second ClientHello is refused");
        assertFatalAlert(r, `${v}: ASC on two ClientHellos`);
        const peer = await establishingCall("initiator", credsOf(v).client, c, false, r.token);
        assert.ok(FAILED(peer.status), `${v}: the client must not complete (${statusName(peer.status)})`);
      });
    }
    await boundedCase("TLS 1.2 duplicate ServerHelloDone", async (track) => {
      const { client, server } = credsOf("TLSv1.2");
      const c = track(new CtxtHandle());
      const s = track(new CtxtHandle());
      const hello = await establishingCall("initiator", client, c, true, null);
      const flight = await establishingCall("acceptor", server, s, true, hello.token);
      const rs = parseRecords(flight.token);
      const r = await establishingCall(
        "initiator",
        client,
        c,
        false,
        Buffer.concat([flight.token, recordBytes(22, rs[rs.length - 1]!.body)]),
      );
      assert.ok(FAILED(r.status));
      assertFatalAlert(r, "ISC on a repeated ServerHelloDone");
      const peer = await establishingCall("acceptor", server, s, false, r.token);
      assert.ok(FAILED(peer.status), `the server must not complete (${statusName(peer.status)})`);
    });
  });

  test("an alert the engine sealed itself (TLS 1.3) is reported in SECBUFFER_ALERT", async () => {
    await boundedCase("TLS 1.3 zero-length CCS", async (track) => {
      const { client, server } = credsOf("TLSv1.3");
      const c = track(new CtxtHandle());
      const s = track(new CtxtHandle());
      const hello = await establishingCall("initiator", client, c, true, null);
      const flight = await establishingCall("acceptor", server, s, true, hello.token);
      const fin = await establishingCall("initiator", client, c, false, flight.token);
      const r = await establishingCall(
        "acceptor",
        server,
        s,
        false,
        Buffer.concat([recordBytes(20, new Uint8Array(0)), fin.token]),
      );
      assert.equal(r.status, SEC_E_ILLEGAL_MESSAGE);
      assertFatalAlert(r, "zero-length CCS");
      assert.ok(r.alert !== null, "SECBUFFER_ALERT names the alert sent");
      assert.ok(SspiGetLastErrorInfo(s)?.alertSent, "SspiGetLastErrorInfo names the alert sent");
    });
  });
});
