/**
 * A bounds-checked big-endian reader for the binary file formats (keytab, ccache): every read
 * past the end is an `ERR_KRB_MALFORMED` error naming the file kind, never a garbage value.
 *
 * @module
 */
import { malformed } from "../errors.js";

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.bytes.length)
      throw malformed(this.what, `needs ${n} bytes at offset ${this.offset}, ${this.remaining} left`);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  bytesOf(n: number): Uint8Array {
    this.need(n);
    const b = new Uint8Array(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return b;
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** A UTF-8 string of `n` bytes. */
  text(n: number): string {
    return new TextDecoder("utf-8", { fatal: false }).decode(this.bytesOf(n));
  }
}
