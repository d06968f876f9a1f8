/**
 * `TimeStamp` helpers: bigint FILETIME ticks (100 ns intervals since 1601-01-01 00:00 UTC).
 *
 * @module
 */
import type { TimeStamp } from "./types.js";

/** Ticks between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFFERENCE_TICKS = 116_444_736_000_000_000n;
const TICKS_PER_MILLISECOND = 10_000n;

/** The largest `TimeStamp` (`0x7FFFFFFFFFFFFFFF`, in the year 30828): "never expires". */
export const TIMESTAMP_NEVER: TimeStamp = 0x7fff_ffff_ffff_ffffn;

/** Converts a `Date` to FILETIME ticks. */
export function timeStampFromDate(date: Date): TimeStamp {
  return BigInt(date.getTime()) * TICKS_PER_MILLISECOND + EPOCH_DIFFERENCE_TICKS;
}

/**
 * Converts FILETIME ticks to a `Date` (millisecond precision; sub-millisecond ticks are
 * truncated). Values beyond what `Date` holds give an invalid `Date` (`getTime()` is NaN).
 */
export function dateFromTimeStamp(ts: TimeStamp): Date {
  const ms = (ts - EPOCH_DIFFERENCE_TICKS) / TICKS_PER_MILLISECOND;
  if (ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n) return new Date(Number.NaN);
  return new Date(Number(ms));
}
