// Encoding one parameter value in the binary protocol: the inverse of binary-value-reader.ts,
// for tests and for the engine when it builds a command itself.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html#sect_protocol_binary_resultset_row_value

import { type BufferWriter, MysqlProtocolError } from '../wire/index.js';
import type { ParamType } from './param-type.js';
import type { DateTimeValue, ParamValue, TimeValue } from './param-value.js';
import { BINARY_FORMS } from './value-forms.js';

function mismatch(type: ParamType, value: ParamValue): MysqlProtocolError {
  const shown = typeof value === 'object' && value !== null ? value.kind : typeof value;
  return new MysqlProtocolError(`cannot encode a ${shown} value as column type 0x${type.type.toString(16)}`);
}

const INT_SIZES = { int1: 1, int2: 2, int4: 4, int8: 8 } as const;

function writeInteger(w: BufferWriter, size: number, type: ParamType, value: ParamValue): void {
  if (typeof value !== 'number' && typeof value !== 'bigint') throw mismatch(type, value);
  if (size === 8) {
    const big = BigInt(value);
    if (type.unsigned) w.u64(big);
    else w.i64(big);
    return;
  }
  const n = Number(value);
  // Two's complement of the low bits either way; the flag only changes how it is read back.
  if (size === 1) w.u8(n & 0xff);
  else if (size === 2) w.u16(n & 0xffff);
  else w.u32(n >>> 0);
}

function writeDateTime(w: BufferWriter, v: DateTimeValue): void {
  const hasTime = v.hour !== 0 || v.minute !== 0 || v.second !== 0 || v.microsecond !== 0;
  const hasDate = v.year !== 0 || v.month !== 0 || v.day !== 0;
  const length = v.microsecond !== 0 ? 11 : hasTime ? 7 : hasDate ? 4 : 0;
  w.u8(length);
  if (length === 0) return;
  w.u16(v.year).u8(v.month).u8(v.day);
  if (length >= 7) w.u8(v.hour).u8(v.minute).u8(v.second);
  if (length === 11) w.u32(v.microsecond);
}

function writeTime(w: BufferWriter, v: TimeValue): void {
  const empty = !v.negative && v.days === 0 && v.hours === 0 && v.minutes === 0 && v.seconds === 0;
  const length = v.microseconds !== 0 ? 12 : empty ? 0 : 8;
  w.u8(length);
  if (length === 0) return;
  w.u8(v.negative ? 1 : 0)
    .u32(v.days)
    .u8(v.hours)
    .u8(v.minutes)
    .u8(v.seconds);
  if (length === 12) w.u32(v.microseconds);
}

/**
 * Writes `value` as `type` would carry it. A null is not written (the NULL bitmap says it), nor
 * is a long-data value (it went before, in COM_STMT_SEND_LONG_DATA).
 */
export function writeParamValue(w: BufferWriter, type: ParamType, value: ParamValue): void {
  if (value === null) return;
  if (typeof value === 'object' && value.kind === 'long_data') return;
  const form = BINARY_FORMS[type.type] ?? 'bytes';
  switch (form) {
    case 'null':
      return;
    case 'int1':
    case 'int2':
    case 'int4':
    case 'int8':
      writeInteger(w, INT_SIZES[form], type, value);
      return;
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw mismatch(type, value);
      if (form === 'float') w.f32(value);
      else w.f64(value);
      return;
    case 'datetime':
      if (typeof value !== 'object' || value.kind !== 'datetime') throw mismatch(type, value);
      writeDateTime(w, value);
      return;
    case 'time':
      if (typeof value !== 'object' || value.kind !== 'time') throw mismatch(type, value);
      writeTime(w, value);
      return;
    case 'text':
    case 'bytes':
      if (typeof value === 'string') {
        w.lenencString(value);
        return;
      }
      if (typeof value === 'object' && value.kind === 'bytes' && value.bytes.length === value.length) {
        w.lenencBytes(value.bytes);
        return;
      }
      throw mismatch(type, value);
  }
}
