/**
 * The shared-memory reply channel of the generic blocking path: a blocking SSPI call whose step
 * waits on the network (Kerberos' KDC exchange) hands the work to a worker and waits for its reply
 * here with `Atomics.wait`. A thread blocked there receives no messages, so the worker writes the
 * serialized reply into a `SharedArrayBuffer` and wakes it.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";

/** Bytes of the reply channel (header included); a reply that does not fit is an error. */
export const REPLY_CHANNEL_BYTES = 1 << 20;

/** Longest single `Atomics.wait` of a blocked caller before it re-checks that its worker lives. */
export const WAIT_SLICE_MS = 50;

const HEADER_BYTES = 16;
/** Int32 index: id of the reply now in the channel (0: none). */
const READY = 0;
/** Int32 index: byte length of the serialized reply. */
const LENGTH = 1;

/** A reply read from the channel. */
export type ChannelReply =
  | { ok: true; value: unknown }
  | { ok: false; error: string }
  | { ok: false; timedOut: true };

/**
 * A one-slot reply channel. Only one blocking call per pool can wait at a time (its thread is
 * blocked), so one slot is enough; replies carry their request id so a stale reply is never
 * mistaken for the awaited one.
 */
export class ReplyChannel {
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** Creates a channel of {@link REPLY_CHANNEL_BYTES}. */
  static create(): ReplyChannel {
    return new ReplyChannel(new SharedArrayBuffer(REPLY_CHANNEL_BYTES));
  }

  /**
   * Worker side: writes the reply to request `id` and wakes the waiting thread. A reply too
   * large for the channel is replaced by an error reply.
   */
  write(id: number, reply: { ok: true; value: unknown } | { ok: false; error: string }): void {
    let data: Uint8Array = serialize(reply);
    if (data.byteLength > this.bytes.byteLength) {
      data = serialize({
        ok: false,
        error: `reply of ${data.byteLength} bytes exceeds the ${this.bytes.byteLength}-byte reply channel`,
      });
    }
    this.bytes.set(data);
    Atomics.store(this.header, LENGTH, data.byteLength);
    Atomics.store(this.header, READY, id);
    Atomics.notify(this.header, READY);
  }

  /** Worker side: wakes a waiting caller without a reply (it then checks `abandoned`). */
  wake(): void {
    Atomics.notify(this.header, READY);
  }

  /**
   * Caller side: blocks this thread (`Atomics.wait`) until the reply to request `id` arrives,
   * `abandoned()` returns a reason (checked at least every {@link WAIT_SLICE_MS}), or `timeoutMs`
   * passes.
   *
   * @returns the reply; `{ ok: false, error }` when abandoned; `{ ok: false, timedOut: true }`.
   */
  wait(id: number, timeoutMs: number, abandoned: () => string | null): ChannelReply {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = Atomics.load(this.header, READY);
      if (ready === id) {
        const length = Atomics.load(this.header, LENGTH);
        const reply = deserialize(this.bytes.slice(0, length)) as ChannelReply;
        Atomics.store(this.header, READY, 0);
        return reply;
      }
      const reason = abandoned();
      if (reason !== null) return { ok: false, error: reason };
      const left = deadline - Date.now();
      if (left <= 0) return { ok: false, timedOut: true };
      Atomics.wait(this.header, READY, ready, Math.min(left, WAIT_SLICE_MS));
    }
  }
}
