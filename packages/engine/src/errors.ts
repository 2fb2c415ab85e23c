// The engine's typed failures. Each carries the MySQL errno and SQLSTATE the client sees, so the
// one place that answers the client (the session boundary) never has to guess.
import { type ErrorCode, GatehouseError } from '@gatehouse/common';
import type { MysqlErrorCode } from '@gatehouse/mysql-protocol';

/** MySQL codes the engine answers with beyond those in the wire area's ServerError table. */
export const EngineMysqlError = {
  // The database is unreachable. Not 2003: that is a client-side code (CR_CONN_HOST_ERROR), and
  // libmariadb reports a server-sent 2003 during login as "malformed packet", hiding the message.
  // SQLSTATE class 08 (connection exception) lets drivers such as JDBC treat it as transient.
  CannotConnect: { errno: 1105, sqlState: '08S01' },
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
