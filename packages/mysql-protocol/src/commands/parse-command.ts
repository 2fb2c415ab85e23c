// Dispatch of a client command by its first byte, through a 256-entry table.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html

import { Command, MysqlProtocolError } from '../wire/index.js';
import { parseChangeUser } from './change-user.js';
import type { ClientCommand } from './command-types.js';
import { type CommandParseOptions, createParseContext, type ParseContext } from './parse-context.js';
import { parseQuery, parseStmtPrepare } from './query.js';
import { parseBinlogDump, parseBinlogDumpGtid, parseRegisterSlave } from './replication-commands.js';
import * as simple from './simple-commands.js';
import { parseStmtBulkExecute } from './stmt-bulk-execute.js';
import { parseStmtExecute } from './stmt-execute.js';
import { parseStmtSendLongData } from './stmt-send-long-data.js';

type CommandParser = (payload: Buffer, ctx: ParseContext) => ClientCommand;

function parseUnknown(payload: Buffer): ClientCommand {
  return { kind: 'unknown', bytes: payload, command: payload[0]! };
}

const PARSERS: readonly CommandParser[] = (() => {
  const table: CommandParser[] = new Array(256).fill(parseUnknown);
  table[Command.Quit] = simple.parseQuit;
  table[Command.InitDb] = simple.parseInitDb;
  table[Command.Query] = parseQuery;
  table[Command.FieldList] = simple.parseFieldList;
  table[Command.CreateDb] = simple.parseCreateDb;
  table[Command.DropDb] = simple.parseDropDb;
  table[Command.Refresh] = simple.parseRefresh;
  table[Command.Shutdown] = simple.parseShutdown;
  table[Command.Statistics] = simple.parseStatistics;
  table[Command.ProcessInfo] = simple.parseProcessInfo;
  table[Command.ProcessKill] = simple.parseProcessKill;
  table[Command.Debug] = simple.parseDebug;
  table[Command.Ping] = simple.parsePing;
  table[Command.ChangeUser] = parseChangeUser;
  table[Command.BinlogDump] = parseBinlogDump;
  table[Command.RegisterSlave] = parseRegisterSlave;
  table[Command.StmtPrepare] = parseStmtPrepare;
  table[Command.StmtExecute] = parseStmtExecute;
  table[Command.StmtSendLongData] = parseStmtSendLongData;
  table[Command.StmtClose] = simple.parseStmtClose;
  table[Command.StmtReset] = simple.parseStmtReset;
  table[Command.SetOption] = simple.parseSetOption;
  table[Command.StmtFetch] = simple.parseStmtFetch;
  table[Command.BinlogDumpGtid] = parseBinlogDumpGtid;
  table[Command.ResetConnection] = simple.parseResetConnection;
  table[Command.StmtBulkExecute] = parseStmtBulkExecute;
  return Object.freeze(table);
})();

/**
 * Parses the payload of a client→server packet that starts a command (see the contract in
 * index.ts). Throws MysqlProtocolError for a malformed command; an unknown command byte gives
 * `{ kind: 'unknown' }`. The result's views point into `payload`: copy what must outlive it.
 */
export function parseClientCommand(payload: Buffer, options: CommandParseOptions): ClientCommand {
  if (payload.length === 0) throw new MysqlProtocolError('empty command packet');
  return PARSERS[payload[0]!]!(payload, createParseContext(payload, options));
}
