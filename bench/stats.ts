/**
 * Small statistics and timing helpers shared by the benchmark cells.
 *
 * @module
 */

/** The median (upper median for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The `p`-th percentile (0–100, nearest rank); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function now(): number {
  return performance.now();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message` when `promise` does not settle within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} (no result within ${ms} ms)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `start()` with at most `concurrency` in flight until `durationMs` elapsed or
 * `maxCount` were started, then waits for the ones in flight.
 *
 * @returns completed operations and the elapsed milliseconds (start to last completion).
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  maxCount: number,
  start: () => Promise<void>,
): Promise<{ count: number; elapsedMs: number }> {
  const begin = now();
  let started = 0;
  let count = 0;
  const lane = async (): Promise<void> => {
    while (started < maxCount && now() - begin < durationMs) {
      started++;
      await start();
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { count, elapsedMs: now() - begin };
}
