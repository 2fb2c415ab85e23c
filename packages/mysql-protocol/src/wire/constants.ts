// Wire constants of the MySQL client/server protocol, with MariaDB's additions.
// https://dev.mysql.com/doc/dev/mysql-server/latest/my__command_8h.html
// https://mariadb.com/kb/en/clientserver-protocol/

/** Command bytes: the first payload byte of every command-phase client packet. */
export const Command = {
  Sleep: 0x00, // COM_SLEEP (server internal)
  Quit: 0x01, // COM_QUIT
  InitDb: 0x02, // COM_INIT_DB
  Query: 0x03, // COM_QUERY
  FieldList: 0x04, // COM_FIELD_LIST
  CreateDb: 0x05, // COM_CREATE_DB
  DropDb: 0x06, // COM_DROP_DB
  Refresh: 0x07, // COM_REFRESH
  Shutdown: 0x08, // COM_SHUTDOWN
  Statistics: 0x09, // COM_STATISTICS
  ProcessInfo: 0x0a, // COM_PROCESS_INFO
  Connect: 0x0b, // COM_CONNECT (server internal)
  ProcessKill: 0x0c, // COM_PROCESS_KILL
  Debug: 0x0d, // COM_DEBUG
  Ping: 0x0e, // COM_PING
  Time: 0x0f, // COM_TIME (server internal)
  DelayedInsert: 0x10, // COM_DELAYED_INSERT (server internal)
  ChangeUser: 0x11, // COM_CHANGE_USER
  BinlogDump: 0x12, // COM_BINLOG_DUMP
  TableDump: 0x13, // COM_TABLE_DUMP
  ConnectOut: 0x14, // COM_CONNECT_OUT (server internal)
  RegisterSlave: 0x15, // COM_REGISTER_SLAVE
  StmtPrepare: 0x16, // COM_STMT_PREPARE
  StmtExecute: 0x17, // COM_STMT_EXECUTE
  StmtSendLongData: 0x18, // COM_STMT_SEND_LONG_DATA
  StmtClose: 0x19, // COM_STMT_CLOSE
  StmtReset: 0x1a, // COM_STMT_RESET
  SetOption: 0x1b, // COM_SET_OPTION
  StmtFetch: 0x1c, // COM_STMT_FETCH
  Daemon: 0x1d, // COM_DAEMON (server internal)
  BinlogDumpGtid: 0x1e, // COM_BINLOG_DUMP_GTID
  ResetConnection: 0x1f, // COM_RESET_CONNECTION
  Clone: 0x20, // COM_CLONE (MySQL 8.0.17+)
  SubscribeGroupReplicationStream: 0x21, // COM_SUBSCRIBE_GROUP_REPLICATION_STREAM (MySQL 8.0.23+)
  StmtBulkExecute: 0xfa, // COM_STMT_BULK_EXECUTE (MariaDB 10.2+)
  Multi: 0xfe, // COM_MULTI (MariaDB 10.2, removed later)
} as const;
export type CommandByte = (typeof Command)[keyof typeof Command];

/** COM_SET_OPTION arguments. */
export const SetOption = {
  MultiStatementsOn: 0, // MYSQL_OPTION_MULTI_STATEMENTS_ON
  MultiStatementsOff: 1, // MYSQL_OPTION_MULTI_STATEMENTS_OFF
} as const;

/** First payload byte of generic response packets. */
export const PacketHeader = {
  Ok: 0x00, // OK_Packet
  LocalInfile: 0xfb, // LOCAL INFILE request
  Eof: 0xfe, // EOF_Packet, or OK_Packet when CLIENT_DEPRECATE_EOF is on
  Err: 0xff, // ERR_Packet
} as const;

/** Server status flags, carried by OK and EOF. */
export const ServerStatus = {
  InTrans: 0x0001, // SERVER_STATUS_IN_TRANS
  Autocommit: 0x0002, // SERVER_STATUS_AUTOCOMMIT
  MoreResultsExists: 0x0008, // SERVER_MORE_RESULTS_EXISTS
  QueryNoGoodIndexUsed: 0x0010, // SERVER_QUERY_NO_GOOD_INDEX_USED
  QueryNoIndexUsed: 0x0020, // SERVER_QUERY_NO_INDEX_USED
  CursorExists: 0x0040, // SERVER_STATUS_CURSOR_EXISTS
  LastRowSent: 0x0080, // SERVER_STATUS_LAST_ROW_SENT
  DbDropped: 0x0100, // SERVER_STATUS_DB_DROPPED
  NoBackslashEscapes: 0x0200, // SERVER_STATUS_NO_BACKSLASH_ESCAPES
  MetadataChanged: 0x0400, // SERVER_STATUS_METADATA_CHANGED
  QueryWasSlow: 0x0800, // SERVER_QUERY_WAS_SLOW
  PsOutParams: 0x1000, // SERVER_PS_OUT_PARAMS
  InTransReadonly: 0x2000, // SERVER_STATUS_IN_TRANS_READONLY
  SessionStateChanged: 0x4000, // SERVER_SESSION_STATE_CHANGED
} as const;

/** Column types (enum_field_types), for column definitions and binary-protocol values. */
export const ColumnType = {
  Decimal: 0x00, // MYSQL_TYPE_DECIMAL
  Tiny: 0x01, // MYSQL_TYPE_TINY
  Short: 0x02, // MYSQL_TYPE_SHORT
  Long: 0x03, // MYSQL_TYPE_LONG
  Float: 0x04, // MYSQL_TYPE_FLOAT
  Double: 0x05, // MYSQL_TYPE_DOUBLE
  Null: 0x06, // MYSQL_TYPE_NULL
  Timestamp: 0x07, // MYSQL_TYPE_TIMESTAMP
  LongLong: 0x08, // MYSQL_TYPE_LONGLONG
  Int24: 0x09, // MYSQL_TYPE_INT24
  Date: 0x0a, // MYSQL_TYPE_DATE
  Time: 0x0b, // MYSQL_TYPE_TIME
  DateTime: 0x0c, // MYSQL_TYPE_DATETIME
  Year: 0x0d, // MYSQL_TYPE_YEAR
  NewDate: 0x0e, // MYSQL_TYPE_NEWDATE (server internal)
  VarChar: 0x0f, // MYSQL_TYPE_VARCHAR
  Bit: 0x10, // MYSQL_TYPE_BIT
  Timestamp2: 0x11, // MYSQL_TYPE_TIMESTAMP2 (server internal)
  DateTime2: 0x12, // MYSQL_TYPE_DATETIME2 (server internal)
  Time2: 0x13, // MYSQL_TYPE_TIME2 (server internal)
  TypedArray: 0x14, // MYSQL_TYPE_TYPED_ARRAY (replication only)
  Vector: 0xf2, // MYSQL_TYPE_VECTOR (MySQL 9.0+)
  Invalid: 0xf3, // MYSQL_TYPE_INVALID
  Bool: 0xf4, // MYSQL_TYPE_BOOL (placeholder)
  Json: 0xf5, // MYSQL_TYPE_JSON
  NewDecimal: 0xf6, // MYSQL_TYPE_NEWDECIMAL
  Enum: 0xf7, // MYSQL_TYPE_ENUM
  Set: 0xf8, // MYSQL_TYPE_SET
  TinyBlob: 0xf9, // MYSQL_TYPE_TINY_BLOB
  MediumBlob: 0xfa, // MYSQL_TYPE_MEDIUM_BLOB
  LongBlob: 0xfb, // MYSQL_TYPE_LONG_BLOB
  Blob: 0xfc, // MYSQL_TYPE_BLOB
  VarString: 0xfd, // MYSQL_TYPE_VAR_STRING
  String: 0xfe, // MYSQL_TYPE_STRING
  Geometry: 0xff, // MYSQL_TYPE_GEOMETRY
} as const;
export type ColumnTypeByte = (typeof ColumnType)[keyof typeof ColumnType];

/** Column definition flags. */
export const ColumnFlag = {
  NotNull: 0x0001, // NOT_NULL_FLAG
  PrimaryKey: 0x0002, // PRI_KEY_FLAG
  UniqueKey: 0x0004, // UNIQUE_KEY_FLAG
  MultipleKey: 0x0008, // MULTIPLE_KEY_FLAG
  Blob: 0x0010, // BLOB_FLAG
  Unsigned: 0x0020, // UNSIGNED_FLAG
  Zerofill: 0x0040, // ZEROFILL_FLAG
  Binary: 0x0080, // BINARY_FLAG
  Enum: 0x0100, // ENUM_FLAG
  AutoIncrement: 0x0200, // AUTO_INCREMENT_FLAG
  Timestamp: 0x0400, // TIMESTAMP_FLAG
  Set: 0x0800, // SET_FLAG
  NoDefaultValue: 0x1000, // NO_DEFAULT_VALUE_FLAG
  OnUpdateNow: 0x2000, // ON_UPDATE_NOW_FLAG
  PartKey: 0x4000, // PART_KEY_FLAG
  Num: 0x8000, // NUM_FLAG (also GROUP_FLAG)
  Unique: 0x10000, // UNIQUE_FLAG
  BinCmp: 0x20000, // BINCMP_FLAG
} as const;

/** Session state change types in OK packets (CLIENT_SESSION_TRACK). */
export const SessionTrack = {
  SystemVariables: 0x00, // SESSION_TRACK_SYSTEM_VARIABLES
  Schema: 0x01, // SESSION_TRACK_SCHEMA
  StateChange: 0x02, // SESSION_TRACK_STATE_CHANGE
  Gtids: 0x03, // SESSION_TRACK_GTIDS
  TransactionCharacteristics: 0x04, // SESSION_TRACK_TRANSACTION_CHARACTERISTICS
  TransactionState: 0x05, // SESSION_TRACK_TRANSACTION_STATE
} as const;

/** Largest payload of one frame; a payload this long or longer continues in the next frame. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/** Frame header: 3-byte little-endian payload length and a 1-byte sequence id. */
export const PACKET_HEADER_SIZE = 4;
/** MariaDB sends progress reports as ERR-shaped packets with this errno. */
export const PROGRESS_REPORT_ERRNO = 0xffff;
