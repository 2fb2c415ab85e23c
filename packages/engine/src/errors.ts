// The engine's typed failures. Each carries the MySQL errno and SQLSTATE the client sees, so the
// one place that answers the client (the session boundary) never has to guess.
import { ClientError, UNREACHABLE } from '@gatehouse/common';
import type { MysqlErrorCode } from '@gatehouse/mysql-protocol';

/** MySQL codes the engine answers with beyond those in the wire area's ServerError table. */
export const EngineMysqlError = {
  /** The database is unreachable (common's UNREACHABLE says why not 2003). */
  CannotConnect: UNREACHABLE,
  ConnectionKilled: { errno: 1927, sqlState: '70100' }, // ER_CONNECTION_KILLED: closed by a session limit
  MalformedPacket: { errno: 1835, sqlState: 'HY000' }, // ER_MALFORMED_PACKET: a client packet we cannot parse
} as const satisfies Record<string, MysqlErrorCode>;

/** A failure of the engine's, in the one client-error shape: (code, message, mysql, options). */
export class EngineError extends ClientError {}
