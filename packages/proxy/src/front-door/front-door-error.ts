import { type ErrorCode, GatehouseError } from '@gatehouse/common';
import type { MysqlErrorCode } from '@gatehouse/mysql-protocol';

/** Error numbers the front door sends that the shared ServerError table does not name. */
export const FrontDoorErrno = {
  // ER_UNKNOWN_ERROR with SQLSTATE 08S01 (connection exception): drivers such as JDBC treat the
  // 08 class as "could not reach the server" and may retry, which is what a missing engine is.
  // Not 2003: it is a client-side code, and libmariadb turns a server-sent 2003 during login into
  // "malformed packet", hiding our message. 1049 (unknown database) would wrongly blame the schema.
  NoBackend: { errno: 1105, sqlState: '08S01' },
} as const satisfies Record<string, MysqlErrorCode>;

/**
 * A failure the client must hear about as a MySQL ERR: the GH_ERR_* code for logs and the
 * errno/SQLSTATE for the client. Thrown inside the session, sent once by its error boundary.
 */
export class FrontDoorError extends GatehouseError {
  readonly mysql: MysqlErrorCode;
  /** A short label for the handshake-failure metric. */
  readonly reason: string;

  constructor(code: ErrorCode, mysql: MysqlErrorCode, reason: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.mysql = mysql;
    this.reason = reason;
  }
}
