/**
 * FILETIME: 100-nanosecond intervals since 1601-01-01 UTC, the clock of MsvAvTimestamp and of the
 * NTLMv2 client challenge.
 *
 * @module
 */

const EPOCH_DIFFERENCE_MS = 11_644_473_600_000n;

/** The FILETIME of a JavaScript time in milliseconds. */
export function filetimeFromMs(ms: number): bigint {
  return (BigInt(Math.floor(ms)) + EPOCH_DIFFERENCE_MS) * 10_000n;
}

/** Milliseconds since the Unix epoch of a FILETIME. */
export function msFromFiletime(filetime: bigint): number {
  return Number(filetime / 10_000n - EPOCH_DIFFERENCE_MS);
}

/** The current time as a FILETIME. */
export function nowFiletime(): bigint {
  return filetimeFromMs(Date.now());
}
