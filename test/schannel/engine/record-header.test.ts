import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_CIPHERTEXT_LENGTH,
  MAX_CIPHERTEXT_LENGTH_TLS12,
  parseRecordHeader,
  splitRecords,
} from "../../../src/schannel/records/record-header.js";

function record(type: number, length: number): Uint8Array {
  const r = new Uint8Array(5 + length);
  r.set([type, 3, 3, length >> 8, length & 0xff]);
  return r;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

test("parseRecordHeader reads type, version and length", () => {
  assert.deepEqual(parseRecordHeader(record(22, 300)), {
    contentType: 22,
    versionMajor: 3,
    versionMinor: 3,
    length: 300,
  });
  assert.equal(parseRecordHeader(new Uint8Array([22, 3, 3, 0])), null);
});

test("splitRecords returns complete records, consumed and missing", () => {
  const a = record(22, 10);
  const b = record(23, 20);
  const both = concat(a, b);
  assert.deepEqual(splitRecords(both), {
    records: [
      { offset: 0, length: 15, contentType: 22 },
      { offset: 15, length: 25, contentType: 23 },
    ],
    consumed: 40,
    missing: 0,
  });
  const partial = both.subarray(0, 18);
  const r = splitRecords(partial);
  assert.equal(r.records.length, 1);
  assert.equal(r.consumed, 15);
  assert.equal(r.missing, 2);
  const body = splitRecords(both.subarray(0, 22));
  assert.equal(body.missing, 18);
  assert.deepEqual(splitRecords(new Uint8Array(0)), { records: [], consumed: 0, missing: 0 });
  assert.equal(splitRecords(new Uint8Array([22])).missing, 4);
});

test("splitRecords rejects HTTP, bad versions and oversize records", () => {
  assert.equal(splitRecords(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")).error, "bad_content_type");
  assert.equal(splitRecords(new Uint8Array([71])).error, "bad_content_type");
  assert.equal(splitRecords(new Uint8Array([22, 4])).error, "bad_version");
  const header = (length: number) => new Uint8Array([23, 3, 3, length >> 8, length & 0xff]);
  // Until TLS 1.3 is negotiated the limit is TLS 1.2's, 2^14 + 2048; after it, 2^14 + 256.
  assert.equal(splitRecords(header(MAX_CIPHERTEXT_LENGTH_TLS12 + 1)).error, "record_overflow");
  assert.equal(splitRecords(header(MAX_CIPHERTEXT_LENGTH_TLS12)).error, undefined);
  assert.equal(splitRecords(header(MAX_CIPHERTEXT_LENGTH + 1)).error, undefined);
  assert.equal(
    splitRecords(header(MAX_CIPHERTEXT_LENGTH + 1), MAX_CIPHERTEXT_LENGTH).error,
    "record_overflow",
  );
  assert.equal(splitRecords(header(MAX_CIPHERTEXT_LENGTH), MAX_CIPHERTEXT_LENGTH).error, undefined);
  const afterGood = splitRecords(concat(record(22, 1), new Uint8Array([99, 3, 3, 0, 1, 0])));
  assert.equal(afterGood.records.length, 1);
  assert.equal(afterGood.consumed, 6);
  assert.equal(afterGood.error, "bad_content_type");
});
