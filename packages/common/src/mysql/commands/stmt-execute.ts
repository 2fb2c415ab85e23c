// COM_STMT_EXECUTE. The packet does not say how many parameters it holds (unless query
// attributes are on and it sets PARAMETER_COUNT_AVAILABLE), nor always their types, so decoding
// needs the statement's state from PreparedStatementRegistry.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html
// https://mariadb.com/kb/en/com_stmt_execute/ (statement id -1, MariaDB 10.2+)

import { BufferWriter, Capability, Command, hasCapability } from '../wire/index.js';
import type { CursorFlags, StmtExecuteCommand } from './command-types.js';
import { readParamBlock } from './param-block.js';
import { type ParamInit, writeParamBlock } from './param-block-writer.js';
import type { ParseContext } from './parse-context.js';
import { ValueCursor } from './value-cursor.js';

/** COM_STMT_EXECUTE flag bits (enum_cursor_type). */
export const CursorType = {
  NoCursor: 0x00, // CURSOR_TYPE_NO_CURSOR
  ReadOnly: 0x01, // CURSOR_TYPE_READ_ONLY
  ForUpdate: 0x02, // CURSOR_TYPE_FOR_UPDATE
  Scrollable: 0x04, // CURSOR_TYPE_SCROLLABLE
  ParameterCountAvailable: 0x08, // PARAMETER_COUNT_AVAILABLE (MySQL 8.0.26+)
} as const;

function readCursorFlags(flags: number): CursorFlags {
  return {
    readOnly: (flags & CursorType.ReadOnly) !== 0,
    forUpdate: (flags & CursorType.ForUpdate) !== 0,
    scrollable: (flags & CursorType.Scrollable) !== 0,
    parameterCountAvailable: (flags & CursorType.ParameterCountAvailable) !== 0,
  };
}

export function parseStmtExecute(payload: Buffer, ctx: ParseContext): StmtExecuteCommand {
  const cur = new ValueCursor(payload, 1, ctx.complete);
  cur.need(9, 'COM_STMT_EXECUTE header');
  const statementId = cur.u32();
  const flags = cur.u8();
  const iterationCount = cur.u32();
  const head = {
    kind: 'stmt_execute',
    bytes: payload,
    statementId,
    flags,
    cursor: readCursorFlags(flags),
    iterationCount,
  } as const;
  const stmt = ctx.registry?.lookup(statementId);
  const queryAttributes = hasCapability(ctx.capabilities, Capability.QueryAttributes);
  let paramCount: number | undefined = stmt?.paramCount;
  // With query attributes the packet may state its own count (prepared parameters plus
  // attributes); MySQL's client library sets PARAMETER_COUNT_AVAILABLE whenever it does.
  if (queryAttributes && (flags & CursorType.ParameterCountAvailable) !== 0) {
    const count = cur.lenenc('parameter count');
    if (count < 0) {
      return {
        ...head,
        paramCount,
        newParamsBound: false,
        boundTypes: undefined,
        params: undefined,
        undecoded: 'not_captured',
      };
    }
    paramCount = count;
  }
  if (paramCount === undefined) {
    return {
      ...head,
      paramCount,
      newParamsBound: false,
      boundTypes: undefined,
      params: undefined,
      undecoded: 'unknown_statement',
    };
  }
  if (paramCount === 0) {
    return { ...head, paramCount, newParamsBound: false, boundTypes: undefined, params: [], undecoded: undefined };
  }
  const block = readParamBlock(
    cur,
    paramCount,
    { withNames: queryAttributes, previousTypes: stmt?.paramTypes, longData: stmt?.longData, walkAll: false },
    ctx.limits,
  );
  return { ...head, paramCount, ...block };
}

export interface StmtExecuteInit {
  readonly statementId: number;
  /** CursorType bits; PARAMETER_COUNT_AVAILABLE is added when query attributes are on. */
  readonly flags?: number;
  readonly iterationCount?: number;
  readonly params: readonly ParamInit[];
  /** Send the types (new-params-bound = 1); false reuses the previous execute's. Default true. */
  readonly bindTypes?: boolean;
}

export function serializeStmtExecute(init: StmtExecuteInit, options: { readonly capabilities: number }): Buffer {
  const queryAttributes = hasCapability(options.capabilities, Capability.QueryAttributes);
  const flags = (init.flags ?? 0) | (queryAttributes ? CursorType.ParameterCountAvailable : 0);
  const w = new BufferWriter(64)
    .u8(Command.StmtExecute)
    .u32(init.statementId)
    .u8(flags)
    .u32(init.iterationCount ?? 1);
  if (queryAttributes) w.lenencInt(init.params.length);
  if (init.params.length > 0) {
    writeParamBlock(w, init.params, { bindTypes: init.bindTypes ?? true, withNames: queryAttributes });
  }
  return w.flush();
}
