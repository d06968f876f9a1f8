/**
 * Cooperative scheduling for engines that run on the caller's thread: a FIFO of engine operations
 * drained one operation per macrotask (`setImmediate`), so a storm of handshakes cannot run many
 * OpenSSL steps back to back inside one macrotask (reference/node-tls-engine.md §9: the naive
 * loop stalled 0.4–0.9 s, one step per macrotask kept stalls at about 30–40 ms).
 *
 * An operation is "started" in its own macrotask; its asynchronous tail (the engine's settle
 * rounds) overlaps with later operations, which is fine because each operation touches one engine
 * and operations of one engine are chained by the host.
 *
 * @module
 */

interface Task {
  start: () => void;
  cancel: (error: Error) => void;
}

/** A FIFO that starts at most one task per macrotask. */
export class StepScheduler {
  private readonly queue: Task[] = [];
  private scheduled = false;
  private immediate: NodeJS.Immediate | null = null;

  /**
   * Queues `operation`; it starts in a later macrotask, never synchronously.
   *
   * @returns a promise of the operation's result.
   */
  run<T>(operation: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        start: () => {
          operation().then(resolve, reject);
        },
        cancel: reject,
      });
      this.schedule();
    });
  }

  /** Number of operations waiting to start. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Rejects waiting operations with `error` and cancels the pending immediate. */
  clear(error: Error): void {
    for (const task of this.queue.splice(0)) task.cancel(error);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
    this.scheduled = false;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.immediate = setImmediate(() => {
      this.scheduled = false;
      this.immediate = null;
      const task = this.queue.shift();
      if (this.queue.length > 0) this.schedule();
      task?.start();
    });
  }
}
