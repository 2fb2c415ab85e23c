// MariaDB's COM_STMT_BULK_EXECUTE: one packet, many rows of parameters, each value behind an
// indicator byte. Rows run to the end of the packet, so they are all walked to be counted, but
// only the first few are decoded.
// https://mariadb.com/kb/en/com_stmt_bulk_execute/

import { BufferWriter, Command, MysqlProtocolError } from '../wire/index.js';
import { readParamValue, skipParamValue } from './binary-value-reader.js';
import { writeParamValue } from './binary-value-writer.js';
import type { PackedParamTypes, StmtBulkExecuteCommand, UndecodedReason } from './command-types.js';
import { type ParamType, packParamType, unpackParamType } from './param-type.js';
import type { BulkCell, IndicatorValue } from './param-value.js';
import type { ParseContext } from './parse-context.js';
import { ValueCursor } from './value-cursor.js';

/** Bulk flags. */
export const BulkFlag = {
  SendUnitResults: 64, // SEND_UNIT_RESULTS (needs MARIADB_CLIENT_BULK_UNIT_RESULTS)
  SendTypesToServer: 128, // SEND_TYPES_TO_SERVER
} as const;

/** The byte before each value. */
export const BulkIndicator = {
  None: 0, // STMT_INDICATOR_NONE: a value follows
  Null: 1, // STMT_INDICATOR_NULL
  Default: 2, // STMT_INDICATOR_DEFAULT
  Ignore: 3, // STMT_INDICATOR_IGNORE
} as const;

function isIndicator(cell: BulkCell): cell is IndicatorValue {
  return typeof cell === 'object' && cell !== null && (cell.kind === 'default' || cell.kind === 'ignore');
}

const DEFAULT_CELL: BulkCell = Object.freeze({ kind: 'default' });
const IGNORE_CELL: BulkCell = Object.freeze({ kind: 'ignore' });

interface Rows {
  rows: BulkCell[][];
  rowCount: number;
}

function readRows(cur: ValueCursor, types: PackedParamTypes, count: number, ctx: ParseContext): Rows {
  const { maxBulkRows, maxParams } = ctx.limits;
  const decodeTypes = Array.from(types.subarray(0, Math.min(count, maxParams)), unpackParamType);
  const rows: BulkCell[][] = [];
  let rowCount = 0;
  while (cur.remaining > 0 && !cur.exhausted) {
    const row: BulkCell[] | undefined = rowCount < maxBulkRows ? [] : undefined;
    for (let i = 0; i < count && !cur.exhausted; i++) {
      if (!cur.has(1, 'bulk indicator')) break;
      const indicator = cur.u8();
      const decode = row !== undefined && i < maxParams;
      if (indicator === BulkIndicator.None) {
        if (decode) row.push(readParamValue(cur, decodeTypes[i]!, ctx.limits));
        else skipParamValue(cur, types[i]! & 0xff);
      } else if (indicator > BulkIndicator.Ignore) {
        throw new MysqlProtocolError(`invalid bulk indicator ${indicator}`);
      } else if (decode) {
        row.push(
          indicator === BulkIndicator.Null ? null : indicator === BulkIndicator.Default ? DEFAULT_CELL : IGNORE_CELL,
        );
      }
    }
    if (row !== undefined) rows.push(row);
    rowCount++;
  }
  return { rows, rowCount };
}

function createBulk(
  payload: Buffer,
  statementId: number,
  flags: number,
  paramCount: number | undefined,
  boundTypes: PackedParamTypes | undefined,
  rows: Rows | undefined,
  undecoded: UndecodedReason | undefined,
): StmtBulkExecuteCommand {
  return {
    kind: 'stmt_bulk_execute',
    bytes: payload,
    statementId,
    flags,
    sendUnitResults: (flags & BulkFlag.SendUnitResults) !== 0,
    sendTypes: (flags & BulkFlag.SendTypesToServer) !== 0,
    paramCount,
    boundTypes,
    rows: rows?.rows,
    rowCount: rows?.rowCount ?? 0,
    undecoded,
  };
}

export function parseStmtBulkExecute(payload: Buffer, ctx: ParseContext): StmtBulkExecuteCommand {
  const cur = new ValueCursor(payload, 1, ctx.complete);
  cur.need(6, 'COM_STMT_BULK_EXECUTE header');
  const statementId = cur.u32();
  const flags = cur.u16();
  const stmt = ctx.registry?.lookup(statementId);
  if (stmt === undefined) {
    return createBulk(payload, statementId, flags, undefined, undefined, undefined, 'unknown_statement');
  }
  const count = stmt.paramCount;
  let types = stmt.paramTypes;
  let boundTypes: PackedParamTypes | undefined;
  if ((flags & BulkFlag.SendTypesToServer) !== 0) {
    if (!cur.has(count * 2, 'bulk parameter types')) {
      return createBulk(payload, statementId, flags, count, undefined, undefined, 'not_captured');
    }
    boundTypes = new Uint16Array(count);
    for (let i = 0; i < count; i++) boundTypes[i] = cur.u16();
    types = boundTypes;
  }
  if (types === undefined || types.length < count) {
    return createBulk(payload, statementId, flags, count, boundTypes, undefined, 'unknown_types');
  }
  // MariaDB refuses a bulk execute of a statement without parameters; there would be no rows.
  const rows = count === 0 ? { rows: [], rowCount: 0 } : readRows(cur, types, count, ctx);
  return createBulk(payload, statementId, flags, count, boundTypes, rows, undefined);
}

export interface StmtBulkExecuteInit {
  readonly statementId: number;
  readonly sendUnitResults?: boolean;
  /** Types to send; omit to reuse those of the previous execute. */
  readonly types?: readonly ParamType[];
  /** Types of the values when `types` is omitted (they are not sent). */
  readonly valueTypes?: readonly ParamType[];
  readonly rows: ReadonlyArray<readonly BulkCell[]>;
}

export function serializeStmtBulkExecute(init: StmtBulkExecuteInit): Buffer {
  const types = init.types ?? init.valueTypes ?? [];
  const flags =
    (init.types !== undefined ? BulkFlag.SendTypesToServer : 0) | (init.sendUnitResults ? BulkFlag.SendUnitResults : 0);
  const w = new BufferWriter(64).u8(Command.StmtBulkExecute).u32(init.statementId).u16(flags);
  if (init.types !== undefined) for (const t of init.types) w.u16(packParamType(t));
  for (const row of init.rows) {
    row.forEach((cell, i) => {
      if (cell === null) w.u8(BulkIndicator.Null);
      else if (isIndicator(cell)) w.u8(cell.kind === 'default' ? BulkIndicator.Default : BulkIndicator.Ignore);
      else {
        const type = types[i];
        if (type === undefined) throw new MysqlProtocolError('bulk row has more values than types');
        writeParamValue(w.u8(BulkIndicator.None), type, cell);
      }
    });
  }
  return w.flush();
}
