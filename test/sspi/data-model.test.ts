import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bufferKind,
  CredHandle,
  CtxtHandle,
  dateFromTimeStamp,
  ISC_REQ_MESSAGES,
  SECBUFFER_FLAGS,
  SECBUFFER_READONLY,
  SECBUFFER_TOKEN,
  SecInvalidateHandle,
  SecIsValidHandle,
  secFlagsBuffer,
  TIMESTAMP_NEVER,
  timeStampFromDate,
} from "../../src/index.js";

test("TimeStamp is FILETIME ticks and converts both ways", () => {
  assert.equal(timeStampFromDate(new Date(Date.UTC(1601, 0, 1))), 0n);
  assert.equal(timeStampFromDate(new Date(0)), 116_444_736_000_000_000n);
  const d = new Date(Date.UTC(2026, 10, 23, 12, 0, 0, 123));
  assert.equal(dateFromTimeStamp(timeStampFromDate(d)).getTime(), d.getTime());
  assert.equal(dateFromTimeStamp(TIMESTAMP_NEVER).getUTCFullYear(), 30828, "'never' is FILETIME's last year");
  assert.ok(
    Number.isNaN(dateFromTimeStamp(1n << 80n).getTime()),
    "beyond Date's range gives an invalid Date",
  );
});

test("handles start invalid and SecInvalidateHandle/SecIsValidHandle behave as in C", () => {
  const h = new CtxtHandle();
  assert.equal(SecIsValidHandle(h), false);
  h.dwLower = 5;
  h.dwUpper = 9;
  assert.equal(SecIsValidHandle(h), true);
  SecInvalidateHandle(h);
  assert.deepEqual([h.dwLower, h.dwUpper], [-1, -1]);
  assert.equal(SecIsValidHandle(new CredHandle()), false);
  assert.equal(SecIsValidHandle(null), false);
});

test("buffer types compare unsigned, without attribute bits", () => {
  assert.equal(bufferKind(SECBUFFER_TOKEN | SECBUFFER_READONLY), SECBUFFER_TOKEN);
  assert.equal(bufferKind((SECBUFFER_TOKEN | SECBUFFER_READONLY) >>> 0), SECBUFFER_TOKEN);
});

test("flags above bit 31 travel in an 8-byte little-endian SECBUFFER_FLAGS buffer", () => {
  const b = secFlagsBuffer(ISC_REQ_MESSAGES);
  assert.equal(b.BufferType, SECBUFFER_FLAGS);
  assert.deepEqual([...b.pvBuffer], [0, 0, 0, 0, 1, 0, 0, 0]);
  assert.throws(() => secFlagsBuffer(0x10n), RangeError);
});
