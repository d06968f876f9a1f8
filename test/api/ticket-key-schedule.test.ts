/**
 * The fleet's key schedule: which epochs' keys a server uses at a given time (current first,
 * next made ahead, past ones until their grace ends), when that changes, and the stored form.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeEpochKey,
  encodeEpochKey,
  epochsAt,
  newEpochKey,
  nextChangeAfter,
} from "../../src/api/ticket-keys/ticket-key-schedule.js";

const schedule = { rotationMs: 1000, graceMs: 500 };

test("the current key encrypts, the next one is ready, past ones decrypt until their grace ends", () => {
  assert.deepEqual(
    epochsAt(schedule, 10_000),
    [10, 11, 9],
    "at a rotation: the previous key is in its grace",
  );
  assert.deepEqual(epochsAt(schedule, 10_499), [10, 11, 9]);
  assert.deepEqual(epochsAt(schedule, 10_500), [10, 11], "grace over: retired");
  assert.deepEqual(epochsAt({ rotationMs: 1000, graceMs: 2500 }, 10_000), [10, 11, 9, 8, 7]);
  assert.equal(epochsAt({ rotationMs: 1000, graceMs: 60_000 }, 100_000).length, 16, "at most 16 keys");
});

test("the next change is the earlier of the next retirement and the next rotation", () => {
  assert.equal(nextChangeAfter(schedule, 10_000), 10_500);
  assert.equal(nextChangeAfter(schedule, 10_500), 11_000);
  assert.equal(nextChangeAfter({ rotationMs: 1000, graceMs: 0 }, 10_000), 11_000);
});

test("a stored key reads back only for its own epoch", () => {
  const key = newEpochKey(123_456);
  const text = encodeEpochKey(key);
  assert.deepEqual(decodeEpochKey(123_456, text), key);
  assert.equal(decodeEpochKey(123_457, text), null, "another epoch's id");
  assert.equal(decodeEpochKey(123_456, text.slice(0, 40)), null, "truncated");
  assert.notDeepEqual(newEpochKey(123_456).id, key.id, "ids differ between keys of one epoch");
});
