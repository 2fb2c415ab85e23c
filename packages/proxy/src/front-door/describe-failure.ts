// How the connection's error boundary presents a failure: the ERR the client gets (if it can
// read one), the metric label and the log level. Matched on codes, never on message text.
import { isGatehouseError } from '@gatehouse/common';
import { type MysqlErrorCode, ServerError } from '@gatehouse/mysql-protocol';
import { FrontDoorError } from './front-door-error.js';

export interface FailureDescription {
  /** Undefined when no ERR fits (TLS broke, the client left, the deadline passed mid-TLS). */
  readonly mysql: MysqlErrorCode | undefined;
  readonly message: string;
  readonly reason: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
}

export function describeFailure(err: unknown): FailureDescription {
  if (err instanceof FrontDoorError) {
    const level = err.code === 'GH_ERR_NO_ENGINE' ? 'warn' : 'info';
    return { mysql: err.mysql, message: err.message, reason: err.reason, level };
  }
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
      return { mysql: ServerError.AccessDenied, message: `Access denied: ${err.message}`, reason: 'certificate', level: 'info' };
    case 'GH_ERR_IDENTITY_LOCKED':
      return { mysql: ServerError.AccessDenied, message: `Access denied: ${err.message}`, reason: 'locked', level: 'info' };
    case 'GH_ERR_PROXY_PROTOCOL':
      return { mysql: ServerError.HandshakeError, message: `Bad handshake: ${err.message}`, reason: 'proxy_header', level: 'info' };
    case 'GH_ERR_MYSQL_PROTOCOL':
    case 'GH_ERR_MYSQL_PACKET_TOO_LARGE':
    case 'GH_ERR_MYSQL_HANDSHAKE':
      return { mysql: ServerError.HandshakeError, message: `Bad handshake: ${err.message}`, reason: 'protocol', level: 'info' };
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
