// Decoding one parameter value in the binary protocol, the form COM_STMT_EXECUTE,
// COM_STMT_BULK_EXECUTE and query attributes share.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html#sect_protocol_binary_resultset_row_value

import { MysqlProtocolError } from '../wire/index.js';
import { findUtf8Cut } from './bounded-text.js';
import type { CommandLimits } from './limits.js';
import type { ParamType } from './param-type.js';
import type { DateTimeValue, ParamValue, TimeValue } from './param-value.js';
import type { ValueCursor } from './value-cursor.js';
import { BINARY_FORMS } from './value-forms.js';

const NOT_CAPTURED: ParamValue = Object.freeze({ kind: 'not_captured' });
const TWO_POW_32 = 0x1_0000_0000;

function readInteger(cur: ValueCursor, size: number, unsigned: boolean): ParamValue {
  const { buf, pos } = cur;
  cur.pos += size;
  switch (size) {
    case 1:
      return unsigned ? buf.readUInt8(pos) : buf.readInt8(pos);
    case 2:
      return unsigned ? buf.readUInt16LE(pos) : buf.readInt16LE(pos);
    case 4:
      return unsigned ? buf.readUInt32LE(pos) : buf.readInt32LE(pos);
    default: {
      const lo = buf.readUInt32LE(pos);
      const hi = unsigned ? buf.readUInt32LE(pos + 4) : buf.readInt32LE(pos + 4);
      const n = hi * TWO_POW_32 + lo;
      if (Number.isSafeInteger(n)) return n;
      return unsigned ? buf.readBigUInt64LE(pos) : buf.readBigInt64LE(pos);
    }
  }
}

function readDateTime(cur: ValueCursor, length: number): DateTimeValue {
  const { buf } = cur;
  const p = cur.pos;
  cur.pos += length;
  return {
    kind: 'datetime',
    year: length >= 4 ? buf.readUInt16LE(p) : 0,
    month: length >= 4 ? buf[p + 2]! : 0,
    day: length >= 4 ? buf[p + 3]! : 0,
    hour: length >= 7 ? buf[p + 4]! : 0,
    minute: length >= 7 ? buf[p + 5]! : 0,
    second: length >= 7 ? buf[p + 6]! : 0,
    microsecond: length >= 11 ? buf.readUInt32LE(p + 7) : 0,
  };
}

function readTime(cur: ValueCursor, length: number): TimeValue {
  const { buf } = cur;
  const p = cur.pos;
  cur.pos += length;
  return {
    kind: 'time',
    negative: length >= 8 ? buf[p] === 1 : false,
    days: length >= 8 ? buf.readUInt32LE(p + 1) : 0,
    hours: length >= 8 ? buf[p + 5]! : 0,
    minutes: length >= 8 ? buf[p + 6]! : 0,
    seconds: length >= 8 ? buf[p + 7]! : 0,
    microseconds: length >= 12 ? buf.readUInt32LE(p + 8) : 0,
  };
}

const DATETIME_LENGTHS = new Set([0, 4, 7, 11]);
const TIME_LENGTHS = new Set([0, 8, 12]);

function readTemporal(cur: ValueCursor, time: boolean): ParamValue {
  if (!cur.has(1, 'temporal length')) return NOT_CAPTURED;
  const length = cur.buf[cur.pos]!;
  if (!(time ? TIME_LENGTHS : DATETIME_LENGTHS).has(length)) {
    throw new MysqlProtocolError(`invalid ${time ? 'TIME' : 'DATETIME'} length ${length}`);
  }
  if (!cur.has(1 + length, 'temporal value')) return NOT_CAPTURED;
  cur.pos++;
  return time ? readTime(cur, length) : readDateTime(cur, length);
}

/** Length-encoded text or bytes, kept to `maxValueBytes`; a captured prefix may cut it short. */
function readLengthEncoded(cur: ValueCursor, text: boolean, limits: CommandLimits): ParamValue {
  const length = cur.lenenc('value length');
  if (length < 0) return NOT_CAPTURED;
  const start = cur.pos;
  const available = Math.min(length, cur.remaining);
  if (available < length) cur.has(length, 'value'); // throws for a complete payload
  cur.pos += available;
  const end = start + available;
  if (!text) {
    const kept = Math.min(available, limits.maxValueBytes);
    return { kind: 'bytes', bytes: cur.buf.subarray(start, start + kept), length };
  }
  if (available === length && length <= limits.maxValueBytes) return cur.buf.toString('utf8', start, end);
  const cut = findUtf8Cut(cur.buf, start, end, limits.maxValueBytes);
  return { kind: 'truncated_text', prefix: cur.buf.toString('utf8', start, cut), length };
}

/** Decodes the value at the cursor and advances past it. */
export function readParamValue(cur: ValueCursor, type: ParamType, limits: CommandLimits): ParamValue {
  const form = BINARY_FORMS[type.type] ?? 'bytes';
  switch (form) {
    case 'null':
      return null;
    case 'int1':
    case 'int2':
    case 'int4':
    case 'int8': {
      const size = form === 'int1' ? 1 : form === 'int2' ? 2 : form === 'int4' ? 4 : 8;
      return cur.has(size, 'integer') ? readInteger(cur, size, type.unsigned) : NOT_CAPTURED;
    }
    case 'float': {
      if (!cur.has(4, 'FLOAT')) return NOT_CAPTURED;
      cur.pos += 4;
      return cur.buf.readFloatLE(cur.pos - 4);
    }
    case 'double': {
      if (!cur.has(8, 'DOUBLE')) return NOT_CAPTURED;
      cur.pos += 8;
      return cur.buf.readDoubleLE(cur.pos - 8);
    }
    case 'datetime':
      return readTemporal(cur, false);
    case 'time':
      return readTemporal(cur, true);
    case 'text':
      return readLengthEncoded(cur, true, limits);
    case 'bytes':
      return readLengthEncoded(cur, false, limits);
  }
}

const FIXED_SIZES: Partial<Record<string, number>> = {
  null: 0,
  int1: 1,
  int2: 2,
  int4: 4,
  int8: 8,
  float: 4,
  double: 8,
};

/**
 * Steps over the value at the cursor without decoding it: for values past the decode cap that
 * must still be walked (bulk rows, the SQL after query attributes). Returns false when a
 * captured prefix ends inside it.
 */
export function skipParamValue(cur: ValueCursor, columnType: number): boolean {
  const form = BINARY_FORMS[columnType] ?? 'bytes';
  const fixed = FIXED_SIZES[form];
  if (fixed !== undefined) {
    if (!cur.has(fixed, 'value')) return false;
    cur.pos += fixed;
    return true;
  }
  if (form === 'datetime' || form === 'time') {
    if (!cur.has(1, 'temporal length')) return false;
    const length = cur.buf[cur.pos]!;
    if (!(form === 'time' ? TIME_LENGTHS : DATETIME_LENGTHS).has(length)) {
      throw new MysqlProtocolError(`invalid ${form === 'time' ? 'TIME' : 'DATETIME'} length ${length}`);
    }
    if (!cur.has(1 + length, 'temporal value')) return false;
    cur.pos += 1 + length;
    return true;
  }
  const length = cur.lenenc('value length');
  if (length < 0 || !cur.has(length, 'value')) return false;
  cur.pos += length;
  return true;
}
