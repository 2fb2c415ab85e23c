// Commands of at most a few fixed fields or one name.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase_utility.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase_ps.html

import { BufferReader, BufferWriter, Command } from '../wire/index.js';
import { decodeBoundedText } from './bounded-text.js';
import type {
  CreateDbCommand,
  DebugCommand,
  DropDbCommand,
  FieldListCommand,
  InitDbCommand,
  PingCommand,
  ProcessInfoCommand,
  ProcessKillCommand,
  QuitCommand,
  RefreshCommand,
  ResetConnectionCommand,
  SetOptionCommand,
  ShutdownCommand,
  StatisticsCommand,
  StmtCloseCommand,
  StmtFetchCommand,
  StmtResetCommand,
} from './command-types.js';
import type { ParseContext } from './parse-context.js';

type NoArgKind = 'quit' | 'statistics' | 'process_info' | 'debug' | 'ping' | 'reset_connection';

// Extra bytes after a command's fields are ignored, as servers do; they stay in `bytes`.
const reader = new BufferReader();

function read<T>(payload: Buffer, parse: (r: BufferReader) => T): T {
  reader.reset(payload, 1);
  try {
    return parse(reader);
  } finally {
    reader.release();
  }
}

export function parseQuit(payload: Buffer): QuitCommand {
  return { kind: 'quit', bytes: payload };
}
export function parseStatistics(payload: Buffer): StatisticsCommand {
  return { kind: 'statistics', bytes: payload };
}
export function parseProcessInfo(payload: Buffer): ProcessInfoCommand {
  return { kind: 'process_info', bytes: payload };
}
export function parseDebug(payload: Buffer): DebugCommand {
  return { kind: 'debug', bytes: payload };
}
export function parsePing(payload: Buffer): PingCommand {
  return { kind: 'ping', bytes: payload };
}
export function parseResetConnection(payload: Buffer): ResetConnectionCommand {
  return { kind: 'reset_connection', bytes: payload };
}

/** The rest of the payload as a name, bounded like SQL text. */
function restName(payload: Buffer, ctx: ParseContext): string {
  return decodeBoundedText(payload, 1, payload.length, ctx.limits.maxTextBytes);
}

export function parseInitDb(payload: Buffer, ctx: ParseContext): InitDbCommand {
  return { kind: 'init_db', bytes: payload, schema: restName(payload, ctx) };
}
export function parseCreateDb(payload: Buffer, ctx: ParseContext): CreateDbCommand {
  return { kind: 'create_db', bytes: payload, schema: restName(payload, ctx) };
}
export function parseDropDb(payload: Buffer, ctx: ParseContext): DropDbCommand {
  return { kind: 'drop_db', bytes: payload, schema: restName(payload, ctx) };
}

export function parseFieldList(payload: Buffer, ctx: ParseContext): FieldListCommand {
  return read(payload, (r) => {
    const table = r.nulBytes();
    const max = ctx.limits.maxTextBytes;
    return {
      kind: 'field_list',
      bytes: payload,
      table: decodeBoundedText(table, 0, table.length, max),
      wildcard: decodeBoundedText(payload, r.offset, payload.length, max),
    };
  });
}

export function parseRefresh(payload: Buffer): RefreshCommand {
  return read(payload, (r) => ({ kind: 'refresh', bytes: payload, subCommand: r.u8() }));
}

export function parseShutdown(payload: Buffer): ShutdownCommand {
  // The level byte is optional: libmysql's mysql_shutdown() sends it, older clients did not.
  return { kind: 'shutdown', bytes: payload, level: payload.length > 1 ? payload[1] : undefined };
}

export function parseProcessKill(payload: Buffer): ProcessKillCommand {
  return read(payload, (r) => ({ kind: 'process_kill', bytes: payload, connectionId: r.u32() }));
}

export function parseSetOption(payload: Buffer): SetOptionCommand {
  return read(payload, (r) => ({ kind: 'set_option', bytes: payload, option: r.u16() }));
}

export function parseStmtClose(payload: Buffer): StmtCloseCommand {
  return read(payload, (r) => ({ kind: 'stmt_close', bytes: payload, statementId: r.u32() }));
}

export function parseStmtReset(payload: Buffer): StmtResetCommand {
  return read(payload, (r) => ({ kind: 'stmt_reset', bytes: payload, statementId: r.u32() }));
}

export function parseStmtFetch(payload: Buffer): StmtFetchCommand {
  return read(payload, (r) => ({ kind: 'stmt_fetch', bytes: payload, statementId: r.u32(), rowCount: r.u32() }));
}

// --- serializers: payloads (command byte first, no frame header) ---

const NO_ARG_BYTES: Record<NoArgKind, number> = {
  quit: Command.Quit,
  statistics: Command.Statistics,
  process_info: Command.ProcessInfo,
  debug: Command.Debug,
  ping: Command.Ping,
  reset_connection: Command.ResetConnection,
};

export function serializeNoArgCommand(kind: NoArgKind): Buffer {
  return Buffer.from([NO_ARG_BYTES[kind]]);
}

const SCHEMA_BYTES = { init_db: Command.InitDb, create_db: Command.CreateDb, drop_db: Command.DropDb } as const;

export function serializeSchemaCommand(kind: keyof typeof SCHEMA_BYTES, schema: string): Buffer {
  return new BufferWriter(8 + schema.length * 3).u8(SCHEMA_BYTES[kind]).string(schema).flush();
}

export function serializeFieldList(table: string, wildcard = ''): Buffer {
  return new BufferWriter().u8(Command.FieldList).nulString(table).string(wildcard).flush();
}

export function serializeRefresh(subCommand: number): Buffer {
  return Buffer.from([Command.Refresh, subCommand]);
}

export function serializeShutdown(level?: number): Buffer {
  return level === undefined ? Buffer.from([Command.Shutdown]) : Buffer.from([Command.Shutdown, level]);
}

export function serializeProcessKill(connectionId: number): Buffer {
  return new BufferWriter(16).u8(Command.ProcessKill).u32(connectionId).flush();
}

export function serializeSetOption(option: number): Buffer {
  return new BufferWriter(16).u8(Command.SetOption).u16(option).flush();
}

export function serializeStmtClose(statementId: number): Buffer {
  return new BufferWriter(16).u8(Command.StmtClose).u32(statementId).flush();
}

export function serializeStmtReset(statementId: number): Buffer {
  return new BufferWriter(16).u8(Command.StmtReset).u32(statementId).flush();
}

export function serializeStmtFetch(statementId: number, rowCount: number): Buffer {
  return new BufferWriter(16).u8(Command.StmtFetch).u32(statementId).u32(rowCount).flush();
}
