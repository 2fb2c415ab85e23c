// COM_STMT_EXECUTE. The packet does not say how many parameters it holds (unless query
// attributes are on and it sets PARAMETER_COUNT_AVAILABLE), nor always their types, so decoding
// needs the statement's state from PreparedStatementRegistry.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html
// https://mariadb.com/kb/en/com_stmt_execute/ (statement id -1, MariaDB 10.2+)

import { BufferWriter, Capability, Command, hasCapability } from '../wire/index.js';
import type { CursorFlags, StmtExecuteCommand, UndecodedReason } from './command-types.js';
import { type ParamBlock, readParamBlock } from './param-block.js';
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

function createExecute(
  payload: Buffer,
  statementId: number,
  flags: number,
  iterationCount: number,
  paramCount: number | undefined,
  block: ParamBlock,
): StmtExecuteCommand {
  // A literal, not a spread: object spread costs microseconds here, on the per-command path.
  return {
    kind: 'stmt_execute',
    bytes: payload,
    statementId,
    flags,
    cursor: readCursorFlags(flags),
    iterationCount,
    paramCount,
    newParamsBound: block.newParamsBound,
    boundTypes: block.boundTypes,
    params: block.params,
    undecoded: block.undecoded,
  };
}

function emptyBlock(params: [] | undefined, undecoded: UndecodedReason | undefined): ParamBlock {
  return { newParamsBound: false, boundTypes: undefined, params, undecoded };
}

export function parseStmtExecute(payload: Buffer, ctx: ParseContext): StmtExecuteCommand {
  const cur = new ValueCursor(payload, 1, ctx.complete);
  cur.need(9, 'COM_STMT_EXECUTE header');
  const statementId = cur.u32();
  const flags = cur.u8();
  const iterationCount = cur.u32();
  const stmt = ctx.registry?.lookup(statementId);
  const queryAttributes = hasCapability(ctx.capabilities, Capability.QueryAttributes);
  let paramCount: number | undefined = stmt?.paramCount;
  // With query attributes the packet may state its own count (prepared parameters plus
  // attributes); MySQL's client library sets PARAMETER_COUNT_AVAILABLE whenever it does.
  if (queryAttributes && (flags & CursorType.ParameterCountAvailable) !== 0) {
    const count = cur.lenenc('parameter count');
    if (count < 0) {
      return createExecute(
        payload,
        statementId,
        flags,
        iterationCount,
        paramCount,
        emptyBlock(undefined, 'not_captured'),
      );
    }
    paramCount = count;
  }
  let block: ParamBlock;
  if (paramCount === undefined) block = emptyBlock(undefined, 'unknown_statement');
  else if (paramCount === 0) block = emptyBlock([], undefined);
  else {
    block = readParamBlock(
      cur,
      paramCount,
      { withNames: queryAttributes, previousTypes: stmt?.paramTypes, longData: stmt?.longData, walkAll: false },
      ctx.limits,
    );
  }
  return createExecute(payload, statementId, flags, iterationCount, paramCount, block);
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
