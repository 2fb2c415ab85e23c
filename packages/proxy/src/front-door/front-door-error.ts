import { type ErrorCode, GatehouseError, type MysqlErrorCode } from '@gatehouse/common';

/** Error numbers the front door sends that the shared ServerError table does not name. */
export const FrontDoorErrno = {
  // CR_CONN_HOST_ERROR: drivers treat it as "could not reach the server" and may retry, which is
  // what a missing engine is; 1049 (unknown database) would wrongly say the schema is missing.
  NoBackend: { errno: 2003, sqlState: 'HY000' },
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
