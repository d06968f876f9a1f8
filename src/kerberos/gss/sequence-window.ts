/**
 * Receive-side sequence checking for per-message tokens (RFC 2743 §1.2.3 replay and sequence
 * detection): each received SND_SEQ is classified against the next expected number and a window
 * of recently seen ones, so a replayed, old, missing or reordered token is reported.
 *
 * @module
 */

/** RFC 2743's supplementary statuses, plus "ok". */
export type SequenceResult = "ok" | "duplicate" | "old" | "gap" | "unseq";

const WINDOW = 64n;

export class SequenceWindow {
  private next: bigint;
  /** Bit i set = (next - 1 - i) was seen. */
  private seen = 0n;

  constructor(initial: bigint) {
    this.next = initial;
  }

  /** Classifies `seq` and records it when it is accepted (ok, gap, unseq). */
  check(seq: bigint): SequenceResult {
    if (seq === this.next) {
      this.seen = ((this.seen << 1n) | 1n) & ((1n << WINDOW) - 1n);
      this.next = seq + 1n;
      return "ok";
    }
    if (seq > this.next) {
      const skipped = seq - this.next;
      this.seen = skipped + 1n >= WINDOW ? 1n : ((this.seen << (skipped + 1n)) | 1n) & ((1n << WINDOW) - 1n);
      this.next = seq + 1n;
      return "gap";
    }
    const age = this.next - 1n - seq;
    if (age >= WINDOW) return "old";
    if (this.seen & (1n << age)) return "duplicate";
    this.seen |= 1n << age;
    return "unseq";
  }
}
