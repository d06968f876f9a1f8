/**
 * The acceptor's replay cache (RFC 4120 §3.2.3): an authenticator seen once within the clock-skew
 * window must be refused the second time. A small interface so a multi-process server can plug in
 * a shared store; the in-memory one forgets entries once they are older than the window.
 *
 * @module
 */

export interface ReplayCache {
  /**
   * Records `key` (client, server, ctime, cusec and the authenticator checksum), valid until
   * `expires`. @returns false when it was already recorded (a replay).
   */
  record(key: string, expires: Date): boolean;
}

/** A per-process replay cache. */
export class MemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, number>();

  record(key: string, expires: Date): boolean {
    const now = Date.now();
    if (this.entries.size > 1024) for (const [k, t] of this.entries) if (t < now) this.entries.delete(k);
    const seen = this.entries.get(key);
    if (seen !== undefined && seen >= now) return false;
    this.entries.set(key, expires.getTime());
    return true;
  }
}
