// Capability flags and the rule that decides which ones a session uses.
// https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html
// https://mariadb.com/kb/en/connection/#capabilities

/**
 * CLIENT_* capability flags as unsigned 32-bit numbers. Combine with `|` and test with
 * `hasCapability`, since bit 31 makes a plain `&` result negative.
 */
export const Capability = {
  LongPassword: 0x00000001, // CLIENT_LONG_PASSWORD (MariaDB: CLIENT_MYSQL, cleared by MariaDB servers)
  FoundRows: 0x00000002, // CLIENT_FOUND_ROWS
  LongFlag: 0x00000004, // CLIENT_LONG_FLAG
  ConnectWithDb: 0x00000008, // CLIENT_CONNECT_WITH_DB
  NoSchema: 0x00000010, // CLIENT_NO_SCHEMA
  Compress: 0x00000020, // CLIENT_COMPRESS
  Odbc: 0x00000040, // CLIENT_ODBC
  LocalFiles: 0x00000080, // CLIENT_LOCAL_FILES
  IgnoreSpace: 0x00000100, // CLIENT_IGNORE_SPACE
  Protocol41: 0x00000200, // CLIENT_PROTOCOL_41
  Interactive: 0x00000400, // CLIENT_INTERACTIVE
  Ssl: 0x00000800, // CLIENT_SSL
  IgnoreSigpipe: 0x00001000, // CLIENT_IGNORE_SIGPIPE
  Transactions: 0x00002000, // CLIENT_TRANSACTIONS
  Reserved: 0x00004000, // CLIENT_RESERVED
  SecureConnection: 0x00008000, // CLIENT_SECURE_CONNECTION (CLIENT_RESERVED2)
  MultiStatements: 0x00010000, // CLIENT_MULTI_STATEMENTS
  MultiResults: 0x00020000, // CLIENT_MULTI_RESULTS
  PsMultiResults: 0x00040000, // CLIENT_PS_MULTI_RESULTS
  PluginAuth: 0x00080000, // CLIENT_PLUGIN_AUTH
  ConnectAttrs: 0x00100000, // CLIENT_CONNECT_ATTRS
  PluginAuthLenencClientData: 0x00200000, // CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
  CanHandleExpiredPasswords: 0x00400000, // CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS
  SessionTrack: 0x00800000, // CLIENT_SESSION_TRACK
  DeprecateEof: 0x01000000, // CLIENT_DEPRECATE_EOF
  OptionalResultsetMetadata: 0x02000000, // CLIENT_OPTIONAL_RESULTSET_METADATA
  ZstdCompressionAlgorithm: 0x04000000, // CLIENT_ZSTD_COMPRESSION_ALGORITHM
  QueryAttributes: 0x08000000, // CLIENT_QUERY_ATTRIBUTES
  MultiFactorAuthentication: 0x10000000, // MULTI_FACTOR_AUTHENTICATION
  CapabilityExtension: 0x20000000, // CLIENT_CAPABILITY_EXTENSION
  SslVerifyServerCert: 0x40000000, // CLIENT_SSL_VERIFY_SERVER_CERT
  RememberOptions: 0x80000000, // CLIENT_REMEMBER_OPTIONS
} as const;

/** MariaDB's name for bit 0: a MariaDB server clears it to announce extended capabilities. */
export const CLIENT_MYSQL = Capability.LongPassword;

/**
 * MariaDB extended capabilities: the upper 32 bits of MariaDB's 64-bit capability set, sent in
 * the last 4 filler bytes of HandshakeV10 and HandshakeResponse41. Kept as their own 32-bit set.
 */
export const MariaDbCapability = {
  Progress: 0x00000001, // MARIADB_CLIENT_PROGRESS
  ComMulti: 0x00000002, // MARIADB_CLIENT_COM_MULTI
  StmtBulkOperations: 0x00000004, // MARIADB_CLIENT_STMT_BULK_OPERATIONS
  ExtendedTypeInfo: 0x00000008, // MARIADB_CLIENT_EXTENDED_TYPE_INFO (a.k.a. EXTENDED_METADATA)
  CacheMetadata: 0x00000010, // MARIADB_CLIENT_CACHE_METADATA
  BulkUnitResults: 0x00000020, // MARIADB_CLIENT_BULK_UNIT_RESULTS
} as const;

/** Whether every bit of `flag` is set in `caps` (safe for bit 31). */
export function hasCapability(caps: number, flag: number): boolean {
  return (caps & flag) >>> 0 === flag >>> 0;
}

/** The capabilities in effect for a session: only what both sides announce. */
export interface NegotiatedCapabilities {
  /** Unsigned 32-bit CLIENT_* set. */
  readonly capabilities: number;
  /** MariaDB extended set; 0 unless both sides are MariaDB-aware (CLIENT_MYSQL clear on both). */
  readonly mariaDbCapabilities: number;
}

export interface CapabilitySet {
  readonly capabilities: number;
  readonly mariaDbCapabilities?: number;
}

/**
 * Intersects server and client capabilities. MariaDB's extended set only counts when CLIENT_MYSQL
 * is clear on both sides: a MariaDB server clears it, and a client that understands the extended
 * set clears it too; a MySQL client sets it, and then the filler bytes mean nothing.
 */
export function negotiateCapabilities(server: CapabilitySet, client: CapabilitySet): NegotiatedCapabilities {
  const capabilities = (server.capabilities & client.capabilities) >>> 0;
  const mariaDb =
    (server.capabilities & CLIENT_MYSQL) === 0 && (client.capabilities & CLIENT_MYSQL) === 0
      ? ((server.mariaDbCapabilities ?? 0) & (client.mariaDbCapabilities ?? 0)) >>> 0
      : 0;
  return { capabilities, mariaDbCapabilities: mariaDb };
}
