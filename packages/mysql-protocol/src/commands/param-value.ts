// Values of prepared-statement parameters as decoded from the binary protocol.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html#sect_protocol_binary_resultset_row_value

/** DATE, DATETIME and TIMESTAMP: the binary form has no time zone, so neither does this. */
export interface DateTimeValue {
  readonly kind: 'datetime';
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
}

/** TIME: a signed interval that may exceed a day, hence `days`. */
export interface TimeValue {
  readonly kind: 'time';
  readonly negative: boolean;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly microseconds: number;
}

/** Binary data (BLOB, GEOMETRY, BIT): a view of at most the configured cap, and the full length. */
export interface BytesValue {
  readonly kind: 'bytes';
  readonly bytes: Buffer;
  readonly length: number;
}

/** Text longer than the configured cap: its first bytes as text, and the full length in bytes. */
export interface TruncatedTextValue {
  readonly kind: 'truncated_text';
  readonly prefix: string;
  readonly length: number;
}

/** A parameter whose value came before the execute in COM_STMT_SEND_LONG_DATA packets. */
export interface LongDataValue {
  readonly kind: 'long_data';
  /** Bytes received for it (sum of the COM_STMT_SEND_LONG_DATA payloads). */
  readonly length: number;
}

/** A value that lies beyond the part of an oversized packet the engine kept for auditing. */
export interface NotCapturedValue {
  readonly kind: 'not_captured';
}

/**
 * A decoded value. Integers that fit in a JS number are numbers; 64-bit ones that don't are
 * bigints. DECIMAL travels as text and stays a string, so no precision is lost.
 */
export type ParamValue =
  | null
  | number
  | bigint
  | string
  | DateTimeValue
  | TimeValue
  | BytesValue
  | TruncatedTextValue
  | LongDataValue
  | NotCapturedValue;

/** MariaDB bulk indicators other than NONE and NULL. */
export interface IndicatorValue {
  readonly kind: 'default' | 'ignore';
}

export type BulkCell = ParamValue | IndicatorValue;

/** A JSON value, what the audit log can store. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatDateTime(v: DateTimeValue): string {
  const date = `${pad(v.year, 4)}-${pad(v.month, 2)}-${pad(v.day, 2)}`;
  const time = `${pad(v.hour, 2)}:${pad(v.minute, 2)}:${pad(v.second, 2)}`;
  return v.microsecond === 0 ? `${date} ${time}` : `${date} ${time}.${pad(v.microsecond, 6)}`;
}

function formatTime(v: TimeValue): string {
  const hours = v.days * 24 + v.hours;
  const base = `${v.negative ? '-' : ''}${pad(hours, 2)}:${pad(v.minutes, 2)}:${pad(v.seconds, 2)}`;
  return v.microseconds === 0 ? base : `${base}.${pad(v.microseconds, 6)}`;
}

/**
 * Turns a decoded value into what the audit log stores: bigints and temporal values become the
 * strings MySQL itself would print, bytes become bounded hex with their full length.
 */
export function toJsonValue(value: BulkCell): JsonValue {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  switch (value.kind) {
    case 'datetime':
      return formatDateTime(value);
    case 'time':
      return formatTime(value);
    case 'bytes':
      return { hex: value.bytes.toString('hex'), length: value.length, truncated: value.bytes.length < value.length };
    case 'truncated_text':
      return { text: value.prefix, length: value.length, truncated: true };
    case 'long_data':
      return { long_data: true, length: value.length };
    case 'not_captured':
      return { not_captured: true };
    case 'default':
      return { indicator: 'default' };
    case 'ignore':
      return { indicator: 'ignore' };
  }
}
