// Turns whatever stopped a login (a denial, an unreachable database, a server's ERR) into the
// ERR packet fields the client sees: a proper errno and SQLSTATE and a message a person can act on.
import { IdentityError, isGatehouseError } from '@gatehouse/common';
import {
  type ErrFields,
  MysqlConnectError,
  MysqlServerError,
  MysqlTimeoutError,
  MysqlTlsError,
  ServerError,
} from '@gatehouse/mysql-protocol';
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
    const verb = err.beforeHandshake ? 'refused the connection' : 'refused the login';
    return {
      errno: err.errno,
      sqlState: err.sqlState,
      message: `database '${ctx.dbService}' at ${ctx.uri} ${verb}: ${err.serverMessage}`,
    };
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
