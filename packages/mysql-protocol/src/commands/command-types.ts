// Every client command the engine interprets, as one union on `kind`. Each carries `bytes`, the
// payload it was parsed from (command byte included), so forwarding never re-encodes.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html

import type { ParamType } from './param-type.js';
import type { BulkCell, ParamValue } from './param-value.js';

interface Base<K extends string> {
  readonly kind: K;
  readonly bytes: Buffer;
}

/** SQL text decoded up to the configured cap; `sqlLength` is always the full length in bytes. */
export interface SqlText {
  readonly sql: string;
  readonly sqlLength: number;
  readonly sqlTruncated: boolean;
}

/** A parameter or query attribute after decoding. */
export interface DecodedParam {
  /** The type it was decoded with: bound by this packet or reused from an earlier execute. */
  readonly type: ParamType;
  /** With CLIENT_QUERY_ATTRIBUTES, a parameter may be named; query attributes always are. */
  readonly name?: string;
  readonly value: ParamValue;
}

export type QuitCommand = Base<'quit'>;
export type StatisticsCommand = Base<'statistics'>;
export type ProcessInfoCommand = Base<'process_info'>;
export type DebugCommand = Base<'debug'>;
export type PingCommand = Base<'ping'>;
export type ResetConnectionCommand = Base<'reset_connection'>;

export interface InitDbCommand extends Base<'init_db'> {
  readonly schema: string;
}
export interface CreateDbCommand extends Base<'create_db'> {
  readonly schema: string;
}
export interface DropDbCommand extends Base<'drop_db'> {
  readonly schema: string;
}

export interface QueryCommand extends Base<'query'>, SqlText {
  /** Present only when CLIENT_QUERY_ATTRIBUTES was negotiated (possibly empty). */
  readonly attributes: readonly DecodedParam[] | undefined;
  /** Attributes the packet declared; more than `attributes.length` when past the decode cap. */
  readonly attributeCount: number;
}

export interface FieldListCommand extends Base<'field_list'> {
  readonly table: string;
  readonly wildcard: string;
}

export interface RefreshCommand extends Base<'refresh'> {
  /** REFRESH_* bits (GRANT 0x01, LOG 0x02, TABLES 0x04, …). */
  readonly subCommand: number;
}

export interface ShutdownCommand extends Base<'shutdown'> {
  /** The shutdown level; old clients send none. */
  readonly level: number | undefined;
}

export interface ProcessKillCommand extends Base<'process_kill'> {
  readonly connectionId: number;
}

export interface ChangeUserCommand extends Base<'change_user'> {
  readonly user: string;
  /** The auth response is a secret: keep it out of logs and audit events. */
  readonly authResponse: Buffer;
  readonly schema: string;
  readonly characterSet: number | undefined;
  readonly authPlugin: string | undefined;
  readonly attributes: ReadonlyArray<readonly [string, string]> | undefined;
  /** True when the packet ended early or its fields did not add up; what was read is kept. */
  readonly malformed: boolean;
}

export interface BinlogDumpCommand extends Base<'binlog_dump'> {
  readonly position: number;
  readonly flags: number;
  readonly serverId: number;
  readonly filename: string;
}

export interface BinlogDumpGtidCommand extends Base<'binlog_dump_gtid'> {
  readonly flags: number;
  readonly serverId: number;
  readonly filename: string;
  readonly position: bigint;
  /** The encoded GTID set, sent when flags has BINLOG_THROUGH_GTID (0x04). */
  readonly gtidData: Buffer | undefined;
}

export interface RegisterSlaveCommand extends Base<'register_slave'> {
  readonly serverId: number;
  readonly hostname: string;
  readonly user: string;
  /** A secret: keep it out of logs and audit events. */
  readonly password: Buffer;
  readonly port: number;
  readonly replicationRank: number;
  readonly masterId: number;
}

export interface SetOptionCommand extends Base<'set_option'> {
  /** 0 = MYSQL_OPTION_MULTI_STATEMENTS_ON, 1 = MYSQL_OPTION_MULTI_STATEMENTS_OFF. */
  readonly option: number;
}

export interface StmtPrepareCommand extends Base<'stmt_prepare'>, SqlText {}

/** The cursor bits of COM_STMT_EXECUTE's flags byte (enum_cursor_type). */
export interface CursorFlags {
  readonly readOnly: boolean;
  readonly forUpdate: boolean;
  readonly scrollable: boolean;
  /** MySQL 8.0.26+: the packet carries parameter_count (with CLIENT_QUERY_ATTRIBUTES). */
  readonly parameterCountAvailable: boolean;
}

/**
 * Why an execute's parameters could not be decoded; its other fields are still valid.
 * - unknown_statement: no COM_STMT_PREPARE_OK was recorded for the id (so no parameter count);
 * - unknown_types: the packet reuses types, but no earlier execute bound any;
 * - not_captured: the engine kept only a prefix of an oversized packet, ending before the values.
 */
export type UndecodedReason = 'unknown_statement' | 'unknown_types' | 'not_captured';

/** Parameter types as packed in the packet: low byte the column type, high byte its flags. */
export type PackedParamTypes = Uint16Array;

export interface StmtExecuteCommand extends Base<'stmt_execute'> {
  readonly statementId: number;
  readonly flags: number;
  readonly cursor: CursorFlags;
  readonly iterationCount: number;
  /** Parameters the packet holds (from the packet with query attributes, else from prepare). */
  readonly paramCount: number | undefined;
  readonly newParamsBound: boolean;
  /** Types this packet bound, for the registry; undefined when it reused earlier ones. */
  readonly boundTypes: PackedParamTypes | undefined;
  /** Decoded parameters, at most the configured cap; undefined when `undecoded` says why. */
  readonly params: readonly DecodedParam[] | undefined;
  readonly undecoded: UndecodedReason | undefined;
}

export interface StmtSendLongDataCommand extends Base<'stmt_send_long_data'> {
  readonly statementId: number;
  readonly paramId: number;
  /** A view of the data, at most the configured value cap. */
  readonly data: Buffer;
  readonly dataLength: number;
}

export interface StmtCloseCommand extends Base<'stmt_close'> {
  readonly statementId: number;
}

export interface StmtResetCommand extends Base<'stmt_reset'> {
  readonly statementId: number;
}

export interface StmtFetchCommand extends Base<'stmt_fetch'> {
  readonly statementId: number;
  readonly rowCount: number;
}

export interface StmtBulkExecuteCommand extends Base<'stmt_bulk_execute'> {
  readonly statementId: number;
  readonly flags: number;
  readonly sendUnitResults: boolean;
  readonly sendTypes: boolean;
  readonly paramCount: number | undefined;
  readonly boundTypes: PackedParamTypes | undefined;
  /** Decoded rows, at most the configured cap; undefined when `undecoded` says why. */
  readonly rows: ReadonlyArray<readonly BulkCell[]> | undefined;
  /** Every row in the packet, decoded or not. */
  readonly rowCount: number;
  readonly undecoded: UndecodedReason | undefined;
}

/** A command byte this gateway has no parser for; forwarded or refused by policy, never thrown. */
export interface UnknownCommand extends Base<'unknown'> {
  readonly command: number;
}

export type ClientCommand =
  | QuitCommand
  | InitDbCommand
  | QueryCommand
  | FieldListCommand
  | CreateDbCommand
  | DropDbCommand
  | RefreshCommand
  | ShutdownCommand
  | StatisticsCommand
  | ProcessInfoCommand
  | ProcessKillCommand
  | DebugCommand
  | PingCommand
  | ChangeUserCommand
  | BinlogDumpCommand
  | BinlogDumpGtidCommand
  | RegisterSlaveCommand
  | SetOptionCommand
  | ResetConnectionCommand
  | StmtPrepareCommand
  | StmtExecuteCommand
  | StmtSendLongDataCommand
  | StmtCloseCommand
  | StmtResetCommand
  | StmtFetchCommand
  | StmtBulkExecuteCommand
  | UnknownCommand;

export type ClientCommandKind = ClientCommand['kind'];
