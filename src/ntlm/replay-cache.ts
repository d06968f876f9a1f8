/**
 * Remembers the NTProofStr of every AUTHENTICATE a server accepted, for a while, so the same
 * message is never accepted twice (defence in depth: a fresh random server challenge per context
 * already makes a replay into another context fail its proof).
 *
 * @module
 */

export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /**
   * @param lifetimeMs how long an accepted proof is remembered (default 36 hours, longer than any
   *   sane clock skew)
   * @param capacity at most this many proofs (the oldest are forgotten first)
   */
  constructor(
    private readonly lifetimeMs = 36 * 3600_000,
    private readonly capacity = 100_000,
  ) {}

  /** Records `proof`; false when it was already there (a replay). */
  remember(proof: Uint8Array, nowMs = Date.now()): boolean {
    this.prune(nowMs);
    const key = Buffer.from(proof).toString("hex");
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs + this.lifetimeMs);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  private prune(nowMs: number): void {
    for (const [key, expires] of this.seen) {
      if (expires > nowMs) break;
      this.seen.delete(key);
    }
  }
}
