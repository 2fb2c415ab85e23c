// Prepared-statement parameters of every common type, as mysql2's execute() sends them, with what
// comes back from the column and what the audit log must record (the engine's decoding).
// mysql2 binds numbers as DOUBLE, booleans as TINY, Dates as DATETIME (local time), plain
// objects as JSON, Buffers as BLOB, bigints and strings as VAR_STRING.

/** What mysql2's execute() binds (a subset of its ExecuteValues). */
export type ParamValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  | Buffer
  | ParamValue[]
  | { [key: string]: ParamValue };

export interface ParamCase {
  readonly column: string;
  /** The column's SQL type. */
  readonly type: string;
  readonly value: ParamValue;
  /** The value read back, selected as `select` (default: the column itself). */
  readonly readBack: unknown;
  readonly select?: string;
  /** The decoded parameter in the db.session.mysql.statements.execute event. */
  readonly audited: unknown;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** mysql2 sends a Date's local-time fields; this is how they read as a DATETIME. */
function localDateTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const when = new Date(2026, 2, 4, 5, 6, 7);
const json: ParamValue = { a: [1, 'two'], ok: true, nested: { n: null } };
const blob = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xff]);

export const PARAM_CASES: readonly ParamCase[] = [
  { column: 'int_min', type: 'INT', value: -2147483648, readBack: -2147483648, audited: -2147483648 },
  { column: 'zero', type: 'INT', value: 0, readBack: 0, audited: 0 },
  { column: 'negative', type: 'SMALLINT', value: -42, readBack: -42, audited: -42 },
  {
    column: 'big_max',
    type: 'BIGINT',
    value: '9223372036854775807',
    readBack: '9223372036854775807',
    audited: '9223372036854775807',
  },
  {
    column: 'big_neg',
    type: 'BIGINT',
    value: -9007199254740993n,
    readBack: '-9007199254740993',
    audited: '-9007199254740993',
  },
  {
    column: 'amount',
    type: 'DECIMAL(20,6)',
    value: '-12345.678901',
    readBack: '-12345.678901',
    audited: '-12345.678901',
  },
  { column: 'dbl', type: 'DOUBLE', value: 3.25, readBack: 3.25, audited: 3.25 },
  { column: 'flag_on', type: 'BOOLEAN', value: true, readBack: 1, audited: 1 },
  { column: 'flag_off', type: 'TINYINT(1)', value: false, readBack: 0, audited: 0 },
  {
    column: 'day',
    type: 'DATE',
    value: '2026-02-28',
    readBack: '2026-02-28',
    select: 'CAST(day AS CHAR)',
    audited: '2026-02-28',
  },
  {
    column: 'tm',
    type: 'TIME(3)',
    value: '-12:34:56.789',
    readBack: '-12:34:56.789',
    select: 'CAST(tm AS CHAR)',
    audited: '-12:34:56.789',
  },
  {
    column: 'dt',
    type: 'DATETIME',
    value: when,
    readBack: localDateTime(when),
    select: 'CAST(dt AS CHAR)',
    audited: localDateTime(when),
  },
  { column: 'doc', type: 'JSON', value: json, readBack: json, audited: JSON.stringify(json) },
  { column: 'emoji', type: 'VARCHAR(40)', value: 'héllo 😀 世界', readBack: 'héllo 😀 世界', audited: 'héllo 😀 世界' },
  { column: 'empty', type: 'VARCHAR(10)', value: '', readBack: '', audited: '' },
  { column: 'nothing', type: 'INT NULL', value: null, readBack: null, audited: null },
  {
    column: 'bytes',
    type: 'BLOB',
    value: blob,
    readBack: blob,
    audited: { hex: blob.toString('hex'), length: blob.length, truncated: false },
  },
];
