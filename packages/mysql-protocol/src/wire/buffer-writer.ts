// A growable writer for packet payloads with the MySQL encodings.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_data_types.html
//
// The writer works like a slab: `flush()` hands out the bytes written since the last flush as a
// view and keeps writing after them, so many small packets share one allocation and a flushed
// view stays valid (safe to give to socket.write) after later writes. `view()` and `reset()`
// are for scratch use: the view is only valid until the next write or reset.
import { MysqlProtocolError } from './protocol-error.js';

const TWO_32 = 0x1_0000_0000;

export class BufferWriter {
  private buf: Buffer;
  /** Start of the bytes not yet flushed. */
  private start = 0;
  /** Next byte to write. */
  private pos = 0;
  private readonly minSize: number;

  constructor(initialSize = 256) {
    this.minSize = Math.max(16, initialSize);
    this.buf = Buffer.allocUnsafe(this.minSize);
  }

  /** Bytes written since the last flush or reset. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Forgets what was written since the last flush; the space is reused. */
  reset(): this {
    this.pos = this.start;
    return this;
  }

  /** The bytes written since the last flush, as a view valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(this.start, this.pos);
  }

  /** The bytes written since the last flush, as a view that later writes never touch. */
  flush(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  /** Makes room for `n` more bytes; grows by doubling and leaves flushed bytes where they are. */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    let size = Math.max(this.minSize, this.buf.length);
    while (size < pending + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  /** Overwrites a byte already written, counted from the start of the pending bytes. */
  patchU8(at: number, v: number): this {
    this.buf[this.start + at] = v;
    return this;
  }

  /** Overwrites 3 bytes already written (e.g. a frame length), counted like `patchU8`. */
  patchU24(at: number, v: number): this {
    const o = this.start + at;
    this.buf[o] = v & 0xff;
    this.buf[o + 1] = (v >>> 8) & 0xff;
    this.buf[o + 2] = (v >>> 16) & 0xff;
    return this;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    const b = this.buf;
    const o = this.pos;
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
    b[o + 2] = (v >>> 16) & 0xff;
    this.pos = o + 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: number | bigint): this {
    this.ensure(8);
    if (typeof v === 'bigint') {
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    } else {
      this.buf.writeUInt32LE((v % TWO_32) >>> 0, this.pos);
      this.buf.writeUInt32LE(Math.floor(v / TWO_32) >>> 0, this.pos + 4);
    }
    this.pos += 8;
    return this;
  }

  i8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
    return this;
  }

  i16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  i64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  f32(v: number): this {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** A length-encoded integer in its shortest form (1, 3, 4 or 9 bytes). */
  lenencInt(v: number | bigint): this {
    if (typeof v === 'bigint') {
      if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new MysqlProtocolError(`cannot length-encode ${v}`);
      if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return this.lenencInt(Number(v));
      return this.u8(0xfe).u64(v);
    }
    if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) {
      throw new MysqlProtocolError(`cannot length-encode ${v}`);
    }
    if (v < 0xfb) return this.u8(v);
    if (v <= 0xffff) return this.u8(0xfc).u16(v);
    if (v <= 0xffffff) return this.u8(0xfd).u24(v);
    return this.u8(0xfe).u64(v);
  }

  /** The 0xFB NULL marker of a text-protocol row. */
  lenencNull(): this {
    return this.u8(0xfb);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** `n` copies of `byte` (fillers and reserved fields). */
  fill(n: number, byte = 0): this {
    this.ensure(n);
    this.buf.fill(byte, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  lenencBytes(b: Uint8Array): this {
    return this.lenencInt(b.length).bytes(b);
  }

  nulBytes(b: Uint8Array): this {
    return this.bytes(b).u8(0);
  }

  string(s: string, encoding: BufferEncoding = 'utf8'): this {
    const n = Buffer.byteLength(s, encoding);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, encoding);
    return this;
  }

  nulString(s: string, encoding: BufferEncoding = 'utf8'): this {
    return this.string(s, encoding).u8(0);
  }

  lenencString(s: string, encoding: BufferEncoding = 'utf8'): this {
    return this.lenencInt(Buffer.byteLength(s, encoding)).string(s, encoding);
  }
}
