// A read position over a command payload that knows whether it holds the whole payload or only
// the prefix an engine kept for auditing an oversized packet. Running out of bytes is a
// protocol error in the first case and simply the end of what can be decoded in the second.

import { MysqlProtocolError } from '../wire/index.js';

export class ValueCursor {
  buf: Buffer;
  pos: number;
  /** False when `buf` is only the first part of a longer payload. */
  complete: boolean;
  /** Set once a read ran past the captured prefix; nothing after it can be decoded. */
  exhausted = false;

  constructor(buf: Buffer, pos: number, complete: boolean) {
    this.buf = buf;
    this.pos = pos;
    this.complete = complete;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /**
   * True when `n` more bytes are there. When they are not: throws for a complete payload, and
   * marks the cursor exhausted for a captured prefix.
   */
  has(n: number, what: string): boolean {
    if (this.buf.length - this.pos >= n) return true;
    if (this.complete) throw new MysqlProtocolError(`truncated ${what}: need ${n} bytes, have ${this.remaining}`);
    this.exhausted = true;
    return false;
  }

  /** Reads exactly `n` bytes or throws: for fields that must be whole even in a captured prefix. */
  need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) {
      throw new MysqlProtocolError(`truncated ${what}: need ${n} bytes, have ${this.remaining}`);
    }
  }

  u8(): number {
    return this.buf[this.pos++]!;
  }

  u16(): number {
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * A length-encoded integer as a JS number (exact up to 2^53; larger ones only ever feed bounds
   * checks, where they are rightly "more than the packet holds"). Returns -1 when a captured
   * prefix ends inside it.
   * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html#sect_protocol_basic_dt_int_le
   */
  lenenc(what: string): number {
    if (!this.has(1, what)) return -1;
    const first = this.buf[this.pos]!;
    if (first < 0xfb) {
      this.pos++;
      return first;
    }
    const size = first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : 0;
    if (size === 0)
      throw new MysqlProtocolError(`invalid length-encoded integer prefix 0x${first.toString(16)} in ${what}`);
    if (!this.has(1 + size, what)) return -1;
    const at = this.pos + 1;
    this.pos += 1 + size;
    if (size === 2) return this.buf.readUInt16LE(at);
    if (size === 3) return this.buf.readUIntLE(at, 3);
    return this.buf.readUInt32LE(at) + this.buf.readUInt32LE(at + 4) * 0x1_0000_0000;
  }
}
