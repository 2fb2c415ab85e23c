// The engine's typed failures. Each carries the MySQL errno and SQLSTATE the client sees, so the
// one place that answers the client (the session boundary) never has to guess.
import { type ErrorCode, GatehouseError, type MysqlErrorCode } from '@gatehouse/common';

/** MySQL codes the engine answers with beyond those in the wire area's ServerError table. */
export const EngineMysqlError = {
  CannotConnect: { errno: 2003, sqlState: 'HY000' }, // CR_CONN_HOST_ERROR: the database is unreachable
  ConnectionKilled: { errno: 1927, sqlState: '70100' }, // ER_CONNECTION_KILLED: closed by a session limit
  MalformedPacket: { errno: 1835, sqlState: 'HY000' }, // ER_MALFORMED_PACKET: a client packet we cannot parse
} as const satisfies Record<string, MysqlErrorCode>;

export class EngineError extends GatehouseError {
  readonly errno: number;
  readonly sqlState: string;

  constructor(code: ErrorCode, message: string, mysql: MysqlErrorCode, options?: ErrorOptions) {
    super(code, message, options);
    this.errno = mysql.errno;
    this.sqlState = mysql.sqlState;
  }
}
