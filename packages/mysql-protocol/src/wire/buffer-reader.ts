// A cursor over one packet payload. One instance is re-pointed at each payload with `reset`
// and let go of with `release`, so reading allocates nothing but the values it returns.
// Encodings: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_data_types.html
import { MysqlProtocolError } from './protocol-error.js';

const EMPTY = Buffer.alloc(0);
const TWO_32 = 0x1_0000_0000;

/** What `lenencLengthOrNull` returns for the 0xFB NULL marker of a text-protocol row. */
export const NULL_LENGTH = -1;

export class BufferReader {
  /** The buffer being read; views handed out point into it. */
  buffer: Buffer = EMPTY;
  /** Next byte to read. */
  offset = 0;
  /** One past the last readable byte. */
  end = 0;

  constructor(buffer?: Buffer, start = 0, end = buffer?.length ?? 0) {
    if (buffer !== undefined) this.reset(buffer, start, end);
  }

  /** Points the reader at `buffer[start, end)`. */
  reset(buffer: Buffer, start = 0, end = buffer.length): this {
    this.buffer = buffer;
    this.offset = start;
    this.end = end;
    return this;
  }

  /** Drops the reference to the buffer so it can be collected. */
  release(): void {
    this.buffer = EMPTY;
    this.offset = 0;
    this.end = 0;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws MysqlProtocolError unless `n` more bytes can be read. */
  need(n: number): void {
    if (this.end - this.offset < n) {
      throw new MysqlProtocolError(
        `MySQL packet truncated: needed ${n} bytes at offset ${this.offset}, ${this.remaining} left`,
      );
    }
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** The next byte without consuming it, or -1 at the end. */
  peekU8(): number {
    return this.offset < this.end ? this.buffer[this.offset]! : -1;
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buffer;
    const o = this.offset;
    this.offset = o + 2;
    return b[o]! | (b[o + 1]! << 8);
  }

  u24(): number {
    this.need(3);
    const b = this.buffer;
    const o = this.offset;
    this.offset = o + 3;
    return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
  }

  u32(): number {
    this.need(4);
    const v = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buffer.readBigUInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  /** An unsigned 64-bit value as a number when exact, else a bigint. */
  u64Number(): number | bigint {
    this.need(8);
    const lo = this.buffer.readUInt32LE(this.offset);
    const hi = this.buffer.readUInt32LE(this.offset + 4);
    if (hi < 0x200000) {
      this.offset += 8;
      return hi * TWO_32 + lo;
    }
    return this.u64();
  }

  i8(): number {
    this.need(1);
    return this.buffer.readInt8(this.offset++);
  }

  i16(): number {
    this.need(2);
    const v = this.buffer.readInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buffer.readInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buffer.readBigInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.buffer.readFloatLE(this.offset);
    this.offset += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buffer.readDoubleLE(this.offset);
    this.offset += 8;
    return v;
  }

  /**
   * A length-encoded integer as a number or, above 2^53, a bigint. 0xFB (NULL) and 0xFF are
   * invalid here; rows use `lenencLengthOrNull`.
   */
  lenencUint(): number | bigint {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    if (first === 0xfe) return this.u64Number();
    throw new MysqlProtocolError(`invalid length-encoded integer prefix 0x${first.toString(16)}`);
  }

  /** A length-encoded integer that must fit a number exactly (lengths, counts). */
  lenencInt(): number {
    const v = this.lenencUint();
    if (typeof v !== 'number') throw new MysqlProtocolError(`length-encoded integer ${v} is out of range`);
    return v;
  }

  /** A length-encoded length in a text row: NULL_LENGTH (-1) for the 0xFB NULL marker. */
  lenencLengthOrNull(): number {
    if (this.peekU8() === 0xfb) {
      this.offset++;
      return NULL_LENGTH;
    }
    return this.lenencInt();
  }

  /** `n` bytes as a view of the underlying buffer. */
  bytes(n: number): Buffer {
    this.need(n);
    const o = this.offset;
    this.offset = o + n;
    return this.buffer.subarray(o, o + n);
  }

  /** Bytes up to a NUL, as a view; the NUL is consumed. A missing NUL is a protocol error. */
  nulBytes(): Buffer {
    const at = this.buffer.indexOf(0, this.offset);
    if (at < 0 || at >= this.end) throw new MysqlProtocolError('MySQL packet truncated: missing NUL terminator');
    const o = this.offset;
    this.offset = at + 1;
    return this.buffer.subarray(o, at);
  }

  /** Bytes up to a NUL, or to the end when there is none (lenient form some peers send). */
  nulBytesOrRest(): Buffer {
    const at = this.buffer.indexOf(0, this.offset);
    if (at < 0 || at >= this.end) return this.restBytes();
    const o = this.offset;
    this.offset = at + 1;
    return this.buffer.subarray(o, at);
  }

  lenencBytes(): Buffer {
    return this.bytes(this.lenencInt());
  }

  /** A text-row value: null for the 0xFB marker. */
  lenencBytesOrNull(): Buffer | null {
    const n = this.lenencLengthOrNull();
    return n === NULL_LENGTH ? null : this.bytes(n);
  }

  restBytes(): Buffer {
    const o = this.offset;
    this.offset = this.end;
    return this.buffer.subarray(o, this.end);
  }

  fixedString(n: number, encoding: BufferEncoding = 'utf8'): string {
    this.need(n);
    const o = this.offset;
    this.offset = o + n;
    return this.buffer.toString(encoding, o, o + n);
  }

  nulString(encoding: BufferEncoding = 'utf8'): string {
    return this.nulBytes().toString(encoding);
  }

  lenencString(encoding: BufferEncoding = 'utf8'): string {
    return this.fixedString(this.lenencInt(), encoding);
  }

  lenencStringOrNull(encoding: BufferEncoding = 'utf8'): string | null {
    const n = this.lenencLengthOrNull();
    return n === NULL_LENGTH ? null : this.fixedString(n, encoding);
  }

  restString(encoding: BufferEncoding = 'utf8'): string {
    const o = this.offset;
    this.offset = this.end;
    return this.buffer.toString(encoding, o, this.end);
  }
}
