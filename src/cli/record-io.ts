/**
 * EncryptMessage/DecryptMessage over a socket with the raw SSPI calls and Schannel's buffer
 * layouts, for the CLI's traces.
 *
 * @module
 */
import type { Socket } from "node:net";
import {
  box,
  DecryptMessage,
  EncryptMessage,
  QueryContextAttributes,
  SEC_E_INCOMPLETE_MESSAGE,
  SEC_E_OK,
  SECBUFFER_DATA,
  SECBUFFER_EMPTY,
  SECBUFFER_EXTRA,
  SECBUFFER_STREAM_HEADER,
  SECBUFFER_STREAM_TRAILER,
  SECPKG_ATTR_STREAM_SIZES,
  type SECURITY_STATUS,
  type SecHandle,
  secBuffer,
  secBufferDesc,
} from "../index.js";

interface StreamSizes {
  cbHeader: number;
  cbTrailer: number;
  cbMaximumMessage: number;
}

/** EncryptMessage of one record's worth of plaintext. */
export function sealRecord(
  handle: SecHandle,
  plaintext: Uint8Array,
): { status: SECURITY_STATUS; record: Uint8Array } {
  const sizes = box<StreamSizes>({ cbHeader: 0, cbTrailer: 0, cbMaximumMessage: 0 });
  const queried = QueryContextAttributes(handle, SECPKG_ATTR_STREAM_SIZES, sizes as never);
  if (queried !== SEC_E_OK) return { status: queried, record: new Uint8Array(0) };
  const { cbHeader, cbTrailer } = sizes.value;
  const record = new Uint8Array(cbHeader + plaintext.byteLength + cbTrailer);
  record.set(plaintext, cbHeader);
  const desc = secBufferDesc(
    { BufferType: SECBUFFER_STREAM_HEADER, cbBuffer: cbHeader, pvBuffer: record.subarray(0, cbHeader) },
    {
      BufferType: SECBUFFER_DATA,
      cbBuffer: plaintext.byteLength,
      pvBuffer: record.subarray(cbHeader, cbHeader + plaintext.byteLength),
    },
    {
      BufferType: SECBUFFER_STREAM_TRAILER,
      cbBuffer: cbTrailer,
      pvBuffer: record.subarray(cbHeader + plaintext.byteLength),
    },
    secBuffer(SECBUFFER_EMPTY),
  );
  const status = EncryptMessage(handle, 0, desc, 0);
  const length = desc.pBuffers[0]!.cbBuffer + desc.pBuffers[1]!.cbBuffer + desc.pBuffers[2]!.cbBuffer;
  return { status, record: record.subarray(0, length) };
}

/** One DecryptMessage call's result. */
export interface Decrypted {
  status: SECURITY_STATUS;
  plaintext: Uint8Array;
  recordLength: number;
}

/**
 * Reads records from a socket and decrypts them one DecryptMessage call at a time.
 * `next()` resolves with the next record's result, or null at end of stream.
 */
export class RecordReader {
  private buffer: Uint8Array;
  private waiting: (() => void) | null = null;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly handle: SecHandle,
    leftover: Uint8Array = new Uint8Array(0),
  ) {
    this.buffer = leftover;
    socket.on("data", this.onData);
    socket.on("close", this.onEnd);
    socket.on("end", this.onEnd);
  }

  private readonly onData = (chunk: Buffer) => {
    this.buffer = this.buffer.byteLength === 0 ? new Uint8Array(chunk) : Buffer.concat([this.buffer, chunk]);
    this.wake();
  };

  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  /** Bytes received and not yet decrypted: at the end of the stream, an incomplete record. */
  get pendingBytes(): number {
    return this.buffer.byteLength;
  }

  /** Stops listening to the socket; returns the bytes not yet decrypted. */
  detach(): Uint8Array {
    this.socket.off("data", this.onData);
    this.socket.off("close", this.onEnd);
    this.socket.off("end", this.onEnd);
    return this.buffer;
  }

  async next(): Promise<Decrypted | null> {
    for (;;) {
      if (this.buffer.byteLength > 0) {
        const data = this.buffer;
        const desc = secBufferDesc(
          secBuffer(SECBUFFER_DATA, data),
          secBuffer(SECBUFFER_EMPTY),
          secBuffer(SECBUFFER_EMPTY),
          secBuffer(SECBUFFER_EMPTY),
        );
        const status = DecryptMessage(this.handle, desc, 0, null);
        if (status !== SEC_E_INCOMPLETE_MESSAGE) {
          const plain = desc.pBuffers.find((b) => b.BufferType === SECBUFFER_DATA);
          const extra = desc.pBuffers.find((b) => b.BufferType === SECBUFFER_EXTRA);
          const rest = extra?.pvBuffer ? extra.pvBuffer.slice(0, extra.cbBuffer) : new Uint8Array(0);
          const plaintext = plain?.pvBuffer ? plain.pvBuffer.slice(0, plain.cbBuffer) : new Uint8Array(0);
          const recordLength = data.byteLength - rest.byteLength;
          this.buffer = rest;
          return { status, plaintext, recordLength };
        }
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }
}
