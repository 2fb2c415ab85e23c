// How each column type is laid out as a binary-protocol value. A table, not a chain of ifs,
// so the reader, the skipper and the writer agree by construction.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html#sect_protocol_binary_resultset_row_value

import { ColumnType } from '../wire/index.js';

export type BinaryForm =
  | 'null'
  | 'int1'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float'
  | 'double'
  | 'datetime'
  | 'time'
  | 'text'
  | 'bytes';

const forms: BinaryForm[] = new Array(256).fill('bytes');
forms[ColumnType.Null] = 'null';
forms[ColumnType.Tiny] = 'int1';
forms[ColumnType.Short] = 'int2';
forms[ColumnType.Year] = 'int2';
forms[ColumnType.Int24] = 'int4';
forms[ColumnType.Long] = 'int4';
forms[ColumnType.LongLong] = 'int8';
forms[ColumnType.Float] = 'float';
forms[ColumnType.Double] = 'double';
forms[ColumnType.Date] = 'datetime';
forms[ColumnType.NewDate] = 'datetime';
forms[ColumnType.DateTime] = 'datetime';
forms[ColumnType.Timestamp] = 'datetime';
forms[ColumnType.Time] = 'time';
// DECIMAL travels as text even in the binary protocol; the string types are the client's text.
for (const t of [
  ColumnType.Decimal,
  ColumnType.NewDecimal,
  ColumnType.VarChar,
  ColumnType.VarString,
  ColumnType.String,
  ColumnType.Enum,
  ColumnType.Set,
  ColumnType.Json,
]) {
  forms[t] = 'text';
}
// Everything else, BLOBs, GEOMETRY, BIT and types a server would not expect from a client, is a
// length-encoded string, which is also how servers read a parameter type they do not know.

/** Binary form by column type byte. */
export const BINARY_FORMS: readonly BinaryForm[] = Object.freeze(forms);
