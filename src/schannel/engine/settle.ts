/**
 * The quiet-rounds rule: how the engine driver knows OpenSSL has written everything a step
 * produces (reference/node-tls-engine.md §3).
 *
 * OpenSSL runs synchronously inside `duplex.push()`, but `JSStreamSocket` keeps one write in flight
 * and completes it in a `setImmediate`; the next write is issued from inside that immediate. A write
 * made in round k completes in round k or k+1, so two consecutive rounds without a new write, with
 * no library-owned asynchronous callback pending, prove that nothing is in flight.
 *
 * @module
 */
import { setImmediate as immediate } from "node:timers/promises";

/** Number of consecutive quiet `setImmediate` rounds that end a step. */
export const QUIET_ROUNDS = 2;

/** What {@link settle} watches. */
export interface SettleProbe {
  /** Monotonic count of `_write` calls the engine made on the duplex. */
  writes(): number;
  /** Library-owned asynchronous callbacks still pending (SNI selection and the like). */
  pendingCallbacks(): number;
  /** Bytes pushed into the duplex that the engine has not read yet. */
  readableLength(): number;
  /** True once the engine is destroyed (nothing more can come). */
  finished(): boolean;
}

/**
 * Waits until pushed input has reached the engine. The first push after a TLSSocket is built is
 * only buffered by the Readable and delivered on the next tick.
 *
 * @returns when `probe.readableLength()` is 0 or the engine is finished.
 */
export async function drainInput(probe: SettleProbe): Promise<void> {
  if (probe.readableLength() === 0) return;
  await new Promise<void>((resolve) => process.nextTick(resolve));
  while (probe.readableLength() > 0 && !probe.finished()) await immediate();
}

/**
 * Waits for {@link QUIET_ROUNDS} consecutive `setImmediate` rounds with no new write and no
 * pending callback.
 *
 * @returns when the engine is quiet (or finished).
 */
export async function settle(probe: SettleProbe, quietRounds = QUIET_ROUNDS): Promise<void> {
  await drainInput(probe);
  let quiet = 0;
  let last = probe.writes();
  while (quiet < quietRounds || probe.pendingCallbacks() > 0) {
    await immediate();
    const now = probe.writes();
    if (now !== last || probe.pendingCallbacks() > 0) {
      last = now;
      quiet = 0;
    } else {
      quiet++;
    }
  }
}
