// The base of every error this package throws, with a stable `code`. The package depends on
// nothing else in Gatehouse, so it keeps its own codes here; @gatehouse/common folds this table
// into its one ERROR_CODES, and docs/errors.md documents them with the rest.

export const MYSQL_ERROR_CODES = {
  // --- MySQL wire (framing, buffers, OK/ERR/EOF) ---
  GH_ERR_MYSQL_PROTOCOL:
    'A MySQL packet was malformed or truncated, or broke the protocol; the connection that sent it is closed.',
  GH_ERR_MYSQL_PACKET_TOO_LARGE:
    'A MySQL packet announced a payload larger than the configured maximum; it was refused before being buffered.',
  // --- MySQL connection phase (handshake, auth plugins, upstream login, version probe) ---
  GH_ERR_MYSQL_CONNECT:
    'The MySQL server could not be reached: connection refused, reset or closed before the login finished.',
  GH_ERR_MYSQL_TIMEOUT: 'The MySQL server did not answer in time while connecting, handshaking or probing.',
  GH_ERR_MYSQL_TLS:
    'TLS to or from a MySQL peer failed: the server offers no TLS, the certificate was not trusted, or the handshake broke.',
  GH_ERR_MYSQL_SERVER_ERROR:
    'The MySQL server answered the connection phase with an ERR packet; errno, SQLSTATE and message are attached.',
  GH_ERR_MYSQL_AUTH_UNSUPPORTED:
    'The MySQL server asked for an auth plugin or step Gatehouse does not support or refuses (e.g. cleartext without TLS).',
  GH_ERR_MYSQL_HANDSHAKE:
    'A MySQL peer broke the connection-phase rules (unexpected packet, wrong protocol version, missing capability).',
} as const;

export type MysqlErrorCodeName = keyof typeof MYSQL_ERROR_CODES;

export class MysqlError extends Error {
  readonly code: MysqlErrorCodeName;

  constructor(code: MysqlErrorCodeName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
