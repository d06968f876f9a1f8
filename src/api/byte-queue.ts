/**
 * `ByteQueue`: bytes arriving from a transport (pushed in any chunking) for a reader that takes
 * everything received so far, waiting when there is nothing.
 *
 * @module
 */
import { joinBytes } from "./bytes.js";

/** A FIFO of received bytes with one waiting reader. */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #ended = false;
  #error: Error | null = null;
  #waiter: (() => void) | null = null;

  /** Bytes buffered and not yet taken. */
  get size(): number {
    return this.#size;
  }

  /** True after {@link end}. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Appends received bytes (ignored after {@link end}). */
  push(bytes: Uint8Array): void {
    if (this.#ended || bytes.byteLength === 0) return;
    this.#chunks.push(bytes);
    this.#size += bytes.byteLength;
    this.#wake();
  }

  /** No more bytes will come; with `error`, the reader's next wait rejects with it once the buffer is drained. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error ?? null;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /**
   * Takes everything buffered, waiting for bytes when there are none.
   *
   * @returns the bytes, or null when the queue ended and is empty.
   * @throws the error given to {@link end}, once the buffer is empty.
   */
  async receive(): Promise<Uint8Array | null> {
    while (this.#size === 0) {
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return null;
      }
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
    const all = joinBytes(this.#chunks);
    this.#chunks = [];
    this.#size = 0;
    return all;
  }
}
