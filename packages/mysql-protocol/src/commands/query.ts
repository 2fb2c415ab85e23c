// COM_QUERY, with the query attributes MySQL 8.0.23+ puts before the SQL when
// CLIENT_QUERY_ATTRIBUTES is negotiated, and COM_STMT_PREPARE, which carries SQL the same way.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html

import { BufferWriter, Capability, Command, hasCapability, MysqlProtocolError } from '../wire/index.js';
import { findUtf8Cut } from './bounded-text.js';
import type { DecodedParam, QueryCommand, SqlText, StmtPrepareCommand } from './command-types.js';
import { readParamBlock } from './param-block.js';
import { type ParamInit, writeParamBlock } from './param-block-writer.js';
import type { ParseContext } from './parse-context.js';
import { ValueCursor } from './value-cursor.js';

/** SQL from `start` to the end of the payload, bounded; the length counts what was not kept. */
export function readSqlText(payload: Buffer, start: number, ctx: ParseContext): SqlText {
  const cut = findUtf8Cut(payload, start, payload.length, ctx.limits.maxTextBytes);
  const sqlLength = ctx.payloadLength - start;
  return { sql: payload.toString('utf8', start, cut), sqlLength, sqlTruncated: cut - start < sqlLength };
}

const UNREADABLE_SQL: SqlText = Object.freeze({ sql: '', sqlLength: 0, sqlTruncated: true });

export function parseQuery(payload: Buffer, ctx: ParseContext): QueryCommand {
  if (!hasCapability(ctx.capabilities, Capability.QueryAttributes)) {
    return createQuery(payload, readSqlText(payload, 1, ctx), undefined, 0);
  }
  const cur = new ValueCursor(payload, 1, ctx.complete);
  const count = cur.lenenc('query attribute count');
  const sets = count < 0 ? -1 : cur.lenenc('query attribute set count');
  let attributes: DecodedParam[] = [];
  if (count > 0 && sets >= 0) {
    const block = readParamBlock(
      cur,
      count,
      { withNames: true, previousTypes: undefined, longData: undefined, walkAll: true },
      ctx.limits,
    );
    // Without types, the values' lengths are unknown and so is where the SQL starts.
    if (!block.newParamsBound && block.undecoded !== 'not_captured') {
      throw new MysqlProtocolError('COM_QUERY query attributes without types');
    }
    attributes = block.params ?? [];
  }
  // A kept prefix that ends inside the attributes leaves the SQL out of reach.
  const sql = count < 0 || sets < 0 || cur.exhausted ? UNREADABLE_SQL : readSqlText(payload, cur.pos, ctx);
  return createQuery(payload, sql, attributes, Math.max(count, 0));
}

// Literals, not spreads: object spread costs microseconds here, on the per-command path.
function createQuery(
  payload: Buffer,
  text: SqlText,
  attributes: DecodedParam[] | undefined,
  attributeCount: number,
): QueryCommand {
  return {
    kind: 'query',
    bytes: payload,
    sql: text.sql,
    sqlLength: text.sqlLength,
    sqlTruncated: text.sqlTruncated,
    attributes,
    attributeCount,
  };
}

export function parseStmtPrepare(payload: Buffer, ctx: ParseContext): StmtPrepareCommand {
  const text = readSqlText(payload, 1, ctx);
  return {
    kind: 'stmt_prepare',
    bytes: payload,
    sql: text.sql,
    sqlLength: text.sqlLength,
    sqlTruncated: text.sqlTruncated,
  };
}

export interface SerializeQueryOptions {
  /** The session's capabilities: CLIENT_QUERY_ATTRIBUTES decides the attribute prefix. */
  readonly capabilities: number;
  readonly attributes?: readonly ParamInit[];
}

export function serializeQuery(sql: string, options: SerializeQueryOptions): Buffer {
  const w = new BufferWriter(16 + sql.length * 3).u8(Command.Query);
  if (hasCapability(options.capabilities, Capability.QueryAttributes)) {
    const attributes = options.attributes ?? [];
    w.lenencInt(attributes.length).lenencInt(1);
    if (attributes.length > 0) writeParamBlock(w, attributes, { bindTypes: true, withNames: true });
  } else if (options.attributes !== undefined && options.attributes.length > 0) {
    throw new MysqlProtocolError('query attributes need CLIENT_QUERY_ATTRIBUTES');
  }
  return w.string(sql).flush();
}

export function serializeStmtPrepare(sql: string): Buffer {
  return new BufferWriter(16 + sql.length * 3).u8(Command.StmtPrepare).string(sql).flush();
}
