// Turns whatever stopped a login (a denial, an unreachable database, a server's ERR) into the
// ERR packet fields the client sees: a proper errno and SQLSTATE and a message a person can act on.
import {
  type ErrFields,
  IdentityError,
  isGatehouseError,
  MysqlConnectError,
  MysqlServerError,
  MysqlTimeoutError,
  MysqlTlsError,
  ServerError,
} from '@gatehouse/common';
import { EngineError, EngineMysqlError } from '../errors.js';

export interface LoginErrorContext {
  readonly dbService: string;
  readonly uri: string;
}

export function toLoginErrFields(err: unknown, ctx: LoginErrorContext): ErrFields {
  if (err instanceof EngineError) return { errno: err.errno, sqlState: err.sqlState, message: err.message };
  if (err instanceof IdentityError) {
    return { ...ServerError.AccessDenied, message: `access denied: ${err.message}` };
  }
  if (err instanceof MysqlServerError) {
    // Verbatim, as a direct connection would show it: tools and tests match on the server's text.
    // Which database and address refused goes to the log and the audit event (err.message).
    return { errno: err.errno, sqlState: err.sqlState, message: err.serverMessage };
  }
  if (err instanceof MysqlConnectError || err instanceof MysqlTimeoutError || err instanceof MysqlTlsError) {
    return {
      ...EngineMysqlError.CannotConnect,
      message: `cannot connect to database '${ctx.dbService}' at ${ctx.uri}: ${err.message}`,
    };
  }
  if (isGatehouseError(err)) {
    return {
      ...ServerError.UnknownError,
      message: `cannot open a session to database '${ctx.dbService}': ${err.message}`,
    };
  }
  return {
    ...ServerError.UnknownError,
    message: `cannot open a session to database '${ctx.dbService}': internal error`,
  };
}
