// A parameter's type as a client sends it in COM_STMT_EXECUTE and query attributes: two bytes,
// the column type and a flag byte whose top bit means unsigned.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html

/** The flag byte's unsigned bit. */
export const PARAM_FLAG_UNSIGNED = 0x80;

export interface ParamType {
  /** The column type (ColumnType in mysql/wire). */
  readonly type: number;
  /** The whole flag byte, kept so re-encoding is exact. */
  readonly flags: number;
  readonly unsigned: boolean;
}

/** The type packed the way the packet carries it: low byte the column type, high byte the flags. */
export function packParamType(type: ParamType): number {
  return (type.type & 0xff) | ((type.flags & 0xff) << 8);
}

export function unpackParamType(packed: number): ParamType {
  const flags = packed >>> 8;
  return { type: packed & 0xff, flags, unsigned: (flags & PARAM_FLAG_UNSIGNED) !== 0 };
}

/** A ParamType for `type`, signed unless `unsigned` says otherwise. */
export function createParamType(type: number, unsigned = false): ParamType {
  return { type, flags: unsigned ? PARAM_FLAG_UNSIGNED : 0, unsigned };
}
