/**
 * The in-memory transport under an engine's TLSSocket: input records are pushed into it, and
 * everything the engine writes is collected, in order, as raw bytes. Writes are not record
 * boundaries (one 16385-byte plaintext arrived as 1024 + 15405 bytes), so readers re-frame the
 * collected bytes with the record headers.
 *
 * @module
 */
import { Duplex } from "node:stream";

/** A Duplex that records what the engine writes and lets the driver feed it input. */
export class MemoryDuplex extends Duplex {
  private chunks: Uint8Array[] = [];
  private collected = 0;
  /** Number of `_write` calls so far (the settle rule watches it). */
  writeCount = 0;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice());
    this.collected += chunk.byteLength;
    this.writeCount++;
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  /** Total bytes the engine wrote since construction. */
  get writtenBytes(): number {
    return this.collected;
  }

  /** @returns the bytes written since the last call, concatenated (possibly empty). */
  takeOutput(): Uint8Array {
    const out = concatBytes(this.chunks);
    this.chunks = [];
    return out;
  }

  /** Feeds bytes to the engine. @returns false when the duplex is already destroyed. */
  feed(bytes: Uint8Array): boolean {
    if (this.destroyed) return false;
    this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return true;
  }
}

/** @returns the concatenation of `parts` as a fresh Uint8Array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
