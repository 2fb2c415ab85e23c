// The one converter from a failure to the MySQL ERR a client sees, for the proxy's front door and
// the engine's login alike: errno, SQLSTATE and a message a person can act on, plus the metric
// label and log level. Matched on classes and codes, never on message text.
import {
  MysqlConnectError,
  type MysqlErrorCode,
  MysqlServerError,
  MysqlTimeoutError,
  MysqlTlsError,
  ServerError,
} from '@gatehouse/mysql-protocol';
import { type ErrorCode, GatehouseError, isGatehouseError } from './errors.js';
import { IdentityError } from './identity/identity-error.js';

/**
 * A failure the client must hear about as a MySQL ERR: the GH_ERR_* code for logs and the
 * errno/SQLSTATE for the client. Thrown inside a connection, sent once by its error boundary.
 * The proxy's FrontDoorError and the engine's EngineError are this shape.
 */
export class ClientError extends GatehouseError {
  readonly mysql: MysqlErrorCode;
  /** A short label for the failure metrics. */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, mysql: MysqlErrorCode, options?: ErrorOptions & { reason?: string }) {
    super(code, message, options);
    this.mysql = mysql;
    this.reason = options?.reason ?? 'refused';
  }

  get errno(): number {
    return this.mysql.errno;
  }

  get sqlState(): string {
    return this.mysql.sqlState;
  }
}

export interface ClientErrorDescription {
  /** Undefined when no ERR fits (TLS broke, the client left, the deadline passed mid-TLS). */
  readonly mysql: MysqlErrorCode | undefined;
  readonly message: string;
  readonly reason: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * Who answers. The proxy speaks before any database is involved; the engine answers a session's
 * login, so its messages name the database it tried.
 */
export type ClientErrorContext =
  | { readonly side: 'proxy' }
  | { readonly side: 'engine'; readonly database: { readonly name: string; readonly uri: string } };

export function describeClientError(err: unknown, ctx: ClientErrorContext): ClientErrorDescription {
  if (err instanceof ClientError) {
    const level = err.code === 'GH_ERR_NO_ENGINE' ? 'warn' : 'info';
    return { mysql: err.mysql, message: err.message, reason: err.reason, level };
  }
  return ctx.side === 'engine' ? describeLoginFailure(err, ctx.database) : describeFrontDoorFailure(err);
}

function describeFrontDoorFailure(err: unknown): ClientErrorDescription {
  if (!isGatehouseError(err)) {
    return {
      mysql: ServerError.UnknownError,
      message: 'internal error in the Gatehouse proxy; its log has the details',
      reason: 'internal',
      level: 'error',
    };
  }
  switch (err.code) {
    case 'GH_ERR_CERT_MALFORMED':
    case 'GH_ERR_CERT_UNKNOWN_CA':
    case 'GH_ERR_CERT_EXPIRED':
    case 'GH_ERR_CERT_NOT_YET_VALID':
    case 'GH_ERR_CERT_WRONG_USAGE':
    case 'GH_ERR_CERT_BAD_EXTENSION':
      return {
        mysql: ServerError.AccessDenied,
        message: `Access denied: ${err.message}`,
        reason: 'certificate',
        level: 'info',
      };
    case 'GH_ERR_IDENTITY_LOCKED':
      return {
        mysql: ServerError.AccessDenied,
        message: `Access denied: ${err.message}`,
        reason: 'locked',
        level: 'info',
      };
    case 'GH_ERR_PROXY_PROTOCOL':
      return {
        mysql: ServerError.HandshakeError,
        message: `Bad handshake: ${err.message}`,
        reason: 'proxy_header',
        level: 'info',
      };
    case 'GH_ERR_MYSQL_PROTOCOL':
    case 'GH_ERR_MYSQL_PACKET_TOO_LARGE':
    case 'GH_ERR_MYSQL_HANDSHAKE':
      return {
        mysql: ServerError.HandshakeError,
        message: `Bad handshake: ${err.message}`,
        reason: 'protocol',
        level: 'info',
      };
    case 'GH_ERR_MYSQL_TLS':
      return { mysql: undefined, message: err.message, reason: 'tls', level: 'info' };
    case 'GH_ERR_MYSQL_CONNECT':
      return { mysql: undefined, message: err.message, reason: 'client_closed', level: 'debug' };
    case 'GH_ERR_PROXY_ENGINE_REPLY':
      return { mysql: ServerError.UnknownError, message: err.message, reason: 'engine_reply', level: 'warn' };
    default:
      return {
        mysql: ServerError.UnknownError,
        message: `internal error in the Gatehouse proxy (${err.code}); its log has the details`,
        reason: 'internal',
        level: 'error',
      };
  }
}

/**
 * What the client gets when the other end (an engine, a database) cannot be reached: ER_UNKNOWN_ERROR
 * with SQLSTATE 08S01. Drivers such as JDBC treat the 08 class (connection exception) as transient
 * and may retry. Not 2003: that is a client-side code (CR_CONN_HOST_ERROR), and libmariadb turns a
 * server-sent 2003 during login into "malformed packet", hiding our message.
 */
export const UNREACHABLE: MysqlErrorCode = { errno: 1105, sqlState: '08S01' };

function describeLoginFailure(
  err: unknown,
  db: { readonly name: string; readonly uri: string },
): ClientErrorDescription {
  if (err instanceof IdentityError) {
    return {
      mysql: ServerError.AccessDenied,
      message: `access denied: ${err.message}`,
      reason: 'certificate',
      level: 'info',
    };
  }
  if (err instanceof MysqlServerError) {
    // Verbatim, as a direct connection would show it: tools and tests match on the server's text.
    // Which database and address refused goes to the log and the audit event (err.message).
    return {
      mysql: { errno: err.errno, sqlState: err.sqlState },
      message: err.serverMessage,
      reason: 'upstream_refused',
      level: 'info',
    };
  }
  if (err instanceof MysqlConnectError || err instanceof MysqlTimeoutError || err instanceof MysqlTlsError) {
    return {
      mysql: UNREACHABLE,
      message: `cannot connect to database '${db.name}' at ${db.uri}: ${err.message}`,
      reason: 'upstream_unreachable',
      level: 'warn',
    };
  }
  if (isGatehouseError(err)) {
    return {
      mysql: ServerError.UnknownError,
      message: `cannot open a session to database '${db.name}': ${err.message}`,
      reason: 'internal',
      level: 'error',
    };
  }
  return {
    mysql: ServerError.UnknownError,
    message: `cannot open a session to database '${db.name}': internal error`,
    reason: 'internal',
    level: 'error',
  };
}
