// Public surface of mysql/commands: typed parsers and serializers for every client command the
// engine audits or applies policy to.
//
// CONTRACT — only command packets reach these parsers. `parseClientCommand` must be given the
// payload of a client→server packet that begins a command: the first packet after the previous
// command's response ended (as the response tracker decides). Never server data (a row or a
// table name that happens to start with 0x11 is not COM_CHANGE_USER), never the client's LOCAL
// INFILE file packets, never an auth-switch reply. The byte-indexed dispatch table cannot tell
// these apart by looking, so the caller must not ask it to. (Teleport once parsed a server row
// as COM_CHANGE_USER; see the regression test named after that bug.)
//
// Prepared statements: feed `PreparedStatementRegistry.recordPrepared(id, numParams)` from each
// COM_STMT_PREPARE_OK (and `recordPrepareFailed()` on its ERR), parse each command with the
// registry in the options, then call `registry.observe(command)`. Decoded values go to the
// audit log through `toJsonValue`.
//
// Bounds: `CommandLimits` cap what decoding allocates (SQL text, values, parameters, bulk rows);
// full lengths and counts are always reported. With `payloadLength`, a payload may be only the
// first part of an oversized packet; what lies past it is reported as not captured.

export { findUtf8Cut } from './bounded-text.js';
export {
  type ChangeUserInit,
  parseChangeUser,
  serializeChangeUser,
} from './change-user.js';
export type {
  BinlogDumpCommand,
  BinlogDumpGtidCommand,
  ChangeUserCommand,
  ClientCommand,
  ClientCommandKind,
  CreateDbCommand,
  CursorFlags,
  DebugCommand,
  DecodedParam,
  DropDbCommand,
  FieldListCommand,
  InitDbCommand,
  PackedParamTypes,
  PingCommand,
  ProcessInfoCommand,
  ProcessKillCommand,
  QueryCommand,
  QuitCommand,
  RefreshCommand,
  RegisterSlaveCommand,
  ResetConnectionCommand,
  SetOptionCommand,
  ShutdownCommand,
  SqlText,
  StatisticsCommand,
  StmtBulkExecuteCommand,
  StmtCloseCommand,
  StmtExecuteCommand,
  StmtFetchCommand,
  StmtPrepareCommand,
  StmtResetCommand,
  StmtSendLongDataCommand,
  UndecodedReason,
  UnknownCommand,
} from './command-types.js';
export { type CommandLimits, DEFAULT_COMMAND_LIMITS } from './limits.js';
export type { ParamInit } from './param-block-writer.js';
export { createParamType, PARAM_FLAG_UNSIGNED, type ParamType, packParamType, unpackParamType } from './param-type.js';
export {
  type BulkCell,
  type BytesValue,
  type DateTimeValue,
  type IndicatorValue,
  type JsonValue,
  type LongDataValue,
  type NotCapturedValue,
  type ParamValue,
  type TimeValue,
  type TruncatedTextValue,
  toJsonValue,
} from './param-value.js';
export { parseClientCommand } from './parse-command.js';
export type { CommandParseOptions } from './parse-context.js';
export { type SerializeQueryOptions, serializeQuery, serializeStmtPrepare } from './query.js';
export {
  BINLOG_THROUGH_GTID,
  type BinlogDumpGtidInit,
  type BinlogDumpInit,
  type RegisterSlaveInit,
  serializeBinlogDump,
  serializeBinlogDumpGtid,
  serializeRegisterSlave,
} from './replication-commands.js';
export {
  serializeFieldList,
  serializeNoArgCommand,
  serializeProcessKill,
  serializeRefresh,
  serializeSchemaCommand,
  serializeSetOption,
  serializeShutdown,
  serializeStmtClose,
  serializeStmtFetch,
  serializeStmtReset,
} from './simple-commands.js';
export {
  LAST_PREPARED_STATEMENT_ID,
  PreparedStatementRegistry,
  type PreparedStatementRegistryOptions,
  type PreparedStatementState,
} from './statement-registry.js';
export { BulkFlag, BulkIndicator, type StmtBulkExecuteInit, serializeStmtBulkExecute } from './stmt-bulk-execute.js';
export { CursorType, type StmtExecuteInit, serializeStmtExecute } from './stmt-execute.js';
export { serializeStmtSendLongData } from './stmt-send-long-data.js';
