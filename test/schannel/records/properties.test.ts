/** Property tests: hostile and truncated input never throws, and reassembly is fragment-agnostic. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { type ClientHelloInfo, parseClientHello } from "../../../src/schannel/records/client-hello.js";
import { describeRecords, formatRecordTrace } from "../../../src/schannel/records/describe.js";
import { findServerRandom, parseServerHello } from "../../../src/schannel/records/server-hello.js";
import { nodeClientHello, opensslClientHello } from "./capture.js";

/** Every parser on `bytes`; asserts each returns a well-formed result. */
function checkAll(bytes: Uint8Array): void {
  for (const result of [parseClientHello(bytes), parseServerHello(bytes)]) {
    assert.equal(typeof result, "object");
    if ("error" in result) {
      assert.equal(typeof result.error, "string");
      if (result.incomplete) assert.ok(result.missing > 0);
      else assert.equal(result.missing, 0);
    } else {
      assert.equal(result.random.length, 32);
      assert.ok(result.length > 0 && result.length <= bytes.length);
    }
  }
  const random = findServerRandom(bytes);
  assert.ok(random === undefined || random.length === 32);
  const records = describeRecords(bytes);
  assert.ok(records.every((r) => typeof r.label === "string" && r.length >= 0));
  assert.equal(typeof formatRecordTrace(bytes), "string");
}

/** Re-frames the hello's handshake message into records cut at `cuts` (fractions of its length). */
function refragment(hello: Uint8Array, end: number, cuts: number[]): Uint8Array {
  const message: number[] = [];
  for (let at = 0; at < end; ) {
    const length = (hello[at + 3]! << 8) | hello[at + 4]!;
    message.push(...hello.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  const points = [...new Set(cuts.map((c) => Math.floor(c * message.length)))]
    .filter((p) => p > 0 && p < message.length)
    .sort((a, b) => a - b);
  const bounds = [0, ...points, message.length];
  const out: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = message.slice(bounds[i], bounds[i + 1]);
    out.push(22, 3, 1, piece.length >> 8, piece.length & 0xff, ...piece);
  }
  return Uint8Array.from(out);
}

function withoutLength(info: ClientHelloInfo): Omit<ClientHelloInfo, "length"> {
  const { length: _length, ...rest } = info;
  return rest;
}

describe("record parsers under hostile input", () => {
  let hellos: Uint8Array[] = [];
  before(async () => {
    hellos = [
      await nodeClientHello({ servername: "prop.test", ALPNProtocols: ["h2", "http/1.1"] }),
      await opensslClientHello(["-servername", "p.example", "-alpn", "h2", "-groups", "X25519:P-256"]),
    ];
  });

  it("arbitrary bytes never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => checkAll(bytes)),
      { numRuns: 2000 },
    );
  });

  it("arbitrary bodies behind a valid handshake record header never throw", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 11, 14),
        fc.uint8Array({ maxLength: 400 }),
        fc.boolean(),
        (type, body, fixLength) => {
          const msgLength = fixLength ? body.length : ((body[0] ?? 0) << 8) | (body[1] ?? 0);
          const fragment = Uint8Array.from([
            type,
            msgLength >> 16,
            (msgLength >> 8) & 0xff,
            msgLength & 0xff,
            ...body,
          ]);
          const record = Uint8Array.from([
            22,
            3,
            3,
            fragment.length >> 8,
            fragment.length & 0xff,
            ...fragment,
          ]);
          checkAll(record);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("mutations of real hellos never throw", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (which, edits) => {
          const bytes = hellos[which]!.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          checkAll(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("truncations of real hellos are incomplete, and the missing count is a lower bound", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.nat(), (which, cut) => {
        const hello = hellos[which]!;
        const k = cut % hello.length;
        const result = parseClientHello(hello.subarray(0, k));
        assert.ok("error" in result && result.incomplete, JSON.stringify(result));
        assert.ok(k + result.missing <= hello.length);
        checkAll(hello.subarray(0, k));
      }),
      { numRuns: 1000 },
    );
  });

  it("a hello split into any number of records parses to the same offer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (which, cuts) => {
          const hello = hellos[which]!;
          const original = parseClientHello(hello);
          assert.ok(!("error" in original));
          const split = refragment(hello, original.length, cuts);
          const again = parseClientHello(split);
          assert.ok(!("error" in again), JSON.stringify(again));
          assert.deepEqual(withoutLength(again), withoutLength(original));
          assert.equal(again.length, split.length);
          // Every strict prefix of the re-fragmented flight is still "incomplete".
          const k = Math.floor((cuts[0] ?? 0.5) * split.length);
          const partial = parseClientHello(split.subarray(0, Math.min(k, split.length - 1)));
          assert.ok("error" in partial && partial.incomplete, JSON.stringify(partial));
          assert.ok(Math.min(k, split.length - 1) + partial.missing <= split.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
