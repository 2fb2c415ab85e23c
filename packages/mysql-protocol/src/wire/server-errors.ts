// MySQL error numbers with the SQLSTATE each one travels with, for the ERR packets Gatehouse
// writes and the ones it recognizes. https://dev.mysql.com/doc/mysql-errors/en/server-error-reference.html

export interface MysqlErrorCode {
  readonly errno: number;
  readonly sqlState: string;
}

export const ServerError = {
  ConCountError: { errno: 1040, sqlState: '08004' }, // ER_CON_COUNT_ERROR: too many connections
  HandshakeError: { errno: 1043, sqlState: '08S01' }, // ER_HANDSHAKE_ERROR: bad handshake
  DbAccessDenied: { errno: 1044, sqlState: '42000' }, // ER_DBACCESS_DENIED_ERROR
  AccessDenied: { errno: 1045, sqlState: '28000' }, // ER_ACCESS_DENIED_ERROR
  NoDb: { errno: 1046, sqlState: '3D000' }, // ER_NO_DB_ERROR
  UnknownCommand: { errno: 1047, sqlState: '08S01' }, // ER_UNKNOWN_COM_ERROR
  BadDb: { errno: 1049, sqlState: '42000' }, // ER_BAD_DB_ERROR
  ServerShutdown: { errno: 1053, sqlState: '08S01' }, // ER_SERVER_SHUTDOWN
  DupEntry: { errno: 1062, sqlState: '23000' }, // ER_DUP_ENTRY
  ParseError: { errno: 1064, sqlState: '42000' }, // ER_PARSE_ERROR
  NoSuchThread: { errno: 1094, sqlState: 'HY000' }, // ER_NO_SUCH_THREAD: unknown thread id
  KillDenied: { errno: 1095, sqlState: 'HY000' }, // ER_KILL_DENIED_ERROR: not your thread
  UnknownError: { errno: 1105, sqlState: 'HY000' }, // ER_UNKNOWN_ERROR
  HostIsBlocked: { errno: 1129, sqlState: 'HY000' }, // ER_HOST_IS_BLOCKED
  HostNotPrivileged: { errno: 1130, sqlState: 'HY000' }, // ER_HOST_NOT_PRIVILEGED
  TableAccessDenied: { errno: 1142, sqlState: '42000' }, // ER_TABLEACCESS_DENIED_ERROR
  NoSuchTable: { errno: 1146, sqlState: '42S02' }, // ER_NO_SUCH_TABLE
  NotAllowedCommand: { errno: 1148, sqlState: '42000' }, // ER_NOT_ALLOWED_COMMAND: LOCAL INFILE refused
  AbortingConnection: { errno: 1152, sqlState: '08S01' }, // ER_ABORTING_CONNECTION
  NetPacketTooLarge: { errno: 1153, sqlState: '08S01' }, // ER_NET_PACKET_TOO_LARGE
  NetUncompressError: { errno: 1157, sqlState: '08S01' }, // ER_NET_UNCOMPRESS_ERROR
  NetReadError: { errno: 1158, sqlState: '08S01' }, // ER_NET_READ_ERROR
  NetReadInterrupted: { errno: 1159, sqlState: '08S01' }, // ER_NET_READ_INTERRUPTED
  NetErrorOnWrite: { errno: 1160, sqlState: '08S01' }, // ER_NET_ERROR_ON_WRITE
  NetWriteInterrupted: { errno: 1161, sqlState: '08S01' }, // ER_NET_WRITE_INTERRUPTED
  NewAbortingConnection: { errno: 1184, sqlState: '08S01' }, // ER_NEW_ABORTING_CONNECTION
  TooManyUserConnections: { errno: 1203, sqlState: '42000' }, // ER_TOO_MANY_USER_CONNECTIONS
  UserLimitReached: { errno: 1226, sqlState: '42000' }, // ER_USER_LIMIT_REACHED
  SpecificAccessDenied: { errno: 1227, sqlState: '42000' }, // ER_SPECIFIC_ACCESS_DENIED_ERROR
  NotSupportedAuthMode: { errno: 1251, sqlState: '08004' }, // ER_NOT_SUPPORTED_AUTH_MODE
  QueryInterrupted: { errno: 1317, sqlState: '70100' }, // ER_QUERY_INTERRUPTED
  MustChangePassword: { errno: 1820, sqlState: 'HY000' }, // ER_MUST_CHANGE_PASSWORD
  MustChangePasswordLogin: { errno: 1862, sqlState: 'HY000' }, // ER_MUST_CHANGE_PASSWORD_LOGIN
  AccountHasBeenLocked: { errno: 3118, sqlState: 'HY000' }, // ER_ACCOUNT_HAS_BEEN_LOCKED
  SecureTransportRequired: { errno: 3159, sqlState: 'HY000' }, // ER_SECURE_TRANSPORT_REQUIRED: insecure transport
  ClientInteractionTimeout: { errno: 4031, sqlState: 'HY000' }, // ER_CLIENT_INTERACTION_TIMEOUT: idle timeout
  // Client-side codes (CR_*), for failures the client library itself reports.
  ServerGone: { errno: 2006, sqlState: 'HY000' }, // CR_SERVER_GONE_ERROR
  ServerLost: { errno: 2013, sqlState: 'HY000' }, // CR_SERVER_LOST: lost connection during query
} as const satisfies Record<string, MysqlErrorCode>;
