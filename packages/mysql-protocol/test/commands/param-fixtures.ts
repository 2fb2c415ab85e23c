// One parameter of every type the binary protocol knows, with the value it should decode to.
import { createParamType, type ParamInit, type ParamValue } from '../../src/commands/index.js';
import { ColumnType as T } from '../../src/wire/index.js';

function dt(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, microsecond = 0): ParamValue {
  return { kind: 'datetime', year, month, day, hour, minute, second, microsecond };
}

function time(
  negative: boolean,
  days: number,
  hours: number,
  minutes: number,
  seconds: number,
  microseconds = 0,
): ParamValue {
  return { kind: 'time', negative, days, hours, minutes, seconds, microseconds };
}

function bytes(b: Buffer): ParamValue {
  return { kind: 'bytes', bytes: b, length: b.length };
}

function p(name: string, type: number, value: ParamValue, unsigned = false): ParamInit & { label: string } {
  return { label: name, type: createParamType(type, unsigned), value };
}

export const EVERY_TYPE = [
  p('TINY signed', T.Tiny, -128),
  p('TINY unsigned', T.Tiny, 255, true),
  p('SHORT signed', T.Short, -32768),
  p('SHORT unsigned', T.Short, 65535, true),
  p('YEAR', T.Year, 2024),
  p('INT24', T.Int24, -8388608),
  p('LONG signed', T.Long, -2147483648),
  p('LONG unsigned', T.Long, 4294967295, true),
  p('LONGLONG small', T.LongLong, 42),
  p('LONGLONG max safe', T.LongLong, Number.MAX_SAFE_INTEGER),
  p('LONGLONG past safe', T.LongLong, 9007199254740993n),
  p('LONGLONG min', T.LongLong, -9223372036854775808n),
  p('LONGLONG unsigned max', T.LongLong, 18446744073709551615n, true),
  p('FLOAT', T.Float, 1.5),
  p('DOUBLE', T.Double, -0.1),
  p('DECIMAL', T.Decimal, '-12345.678900'),
  p('NEWDECIMAL', T.NewDecimal, '99999999999999999999.99'),
  p('DATE 4-byte', T.Date, dt(2024, 2, 29)),
  p('DATE zero 0-byte', T.Date, dt(0, 0, 0)),
  p('DATETIME 7-byte', T.DateTime, dt(2024, 2, 29, 13, 14, 15)),
  p('DATETIME 11-byte', T.DateTime, dt(1999, 12, 31, 23, 59, 59, 999999)),
  p('TIMESTAMP', T.Timestamp, dt(2038, 1, 19, 3, 14, 7, 1)),
  p('TIME 0-byte', T.Time, time(false, 0, 0, 0, 0)),
  p('TIME 8-byte negative with days', T.Time, time(true, 2, 1, 2, 3)),
  p('TIME 12-byte', T.Time, time(false, 34, 23, 59, 59, 123456)),
  p('VARCHAR', T.VarChar, 'varchar'),
  p('VAR_STRING', T.VarString, 'héllo wörld'),
  p('STRING', T.String, ''),
  p('ENUM', T.Enum, 'red'),
  p('SET', T.Set, 'a,b'),
  p('JSON', T.Json, '{"a":[1,2]}'),
  p('TINY_BLOB', T.TinyBlob, bytes(Buffer.from([0, 1, 2]))),
  p('MEDIUM_BLOB', T.MediumBlob, bytes(Buffer.alloc(300, 7))),
  p('LONG_BLOB', T.LongBlob, bytes(Buffer.alloc(70000, 9))),
  p('BLOB', T.Blob, bytes(Buffer.from('blob'))),
  p('GEOMETRY', T.Geometry, bytes(Buffer.from('0000000001010000000000000000000000000000000000f03f', 'hex'))),
  p('BIT', T.Bit, bytes(Buffer.from([0b101]))),
  p('NULL type', T.Null, null),
  p('null value of a LONG', T.Long, null),
  p('null value of a VAR_STRING', T.VarString, null),
];
