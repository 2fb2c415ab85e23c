import { ClientError, UNREACHABLE } from '@gatehouse/common';
import type { MysqlErrorCode } from '@gatehouse/mysql-protocol';

/** Error numbers the front door sends that the shared ServerError table does not name. */
export const FrontDoorErrno = {
  // No engine serves the database: the client could not reach it (common's UNREACHABLE says
  // why 1105/08S01). 1049 (unknown database) would wrongly blame the schema.
  NoBackend: UNREACHABLE,
} as const satisfies Record<string, MysqlErrorCode>;

/**
 * A failure the client must hear about as a MySQL ERR, in the one client-error shape
 * (code, message, mysql, { reason }). Thrown inside the session, sent once by its error boundary.
 */
export class FrontDoorError extends ClientError {}
