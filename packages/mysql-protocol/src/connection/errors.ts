// Typed failures of the connection phase. Each carries what an operator needs to act: the
// address, and for a server's ERR its errno, SQLSTATE and message verbatim.
import { MysqlError } from '../mysql-error.js';

/** TCP/unix connect refused or reset, or the peer closed before the login finished. */
export class MysqlConnectError extends MysqlError {
  readonly address: string;

  constructor(address: string, message: string, options?: ErrorOptions) {
    super('GH_ERR_MYSQL_CONNECT', message, options);
    this.address = address;
  }
}

/** The peer did not answer in time. `phase` says what we were waiting for. */
export class MysqlTimeoutError extends MysqlError {
  readonly address: string;
  readonly phase: 'connect' | 'handshake' | 'login';
  readonly timeoutMs: number;

  constructor(address: string, phase: 'connect' | 'handshake' | 'login', timeoutMs: number) {
    super('GH_ERR_MYSQL_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${address} (${phase})`);
    this.address = address;
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** TLS could not be set up: the server offers none, or its certificate was not trusted. */
export class MysqlTlsError extends MysqlError {
  readonly address: string;

  constructor(address: string, message: string, options?: ErrorOptions) {
    super('GH_ERR_MYSQL_TLS', message, options);
    this.address = address;
  }
}

/** The server answered with ERR during the connection phase (including as its first packet). */
export class MysqlServerError extends MysqlError {
  readonly errno: number;
  readonly sqlState: string;
  readonly serverMessage: string;
  /** True when the ERR came instead of the server's greeting (e.g. 1040 too many connections). */
  readonly beforeHandshake: boolean;

  constructor(errno: number, sqlState: string, serverMessage: string, beforeHandshake: boolean, address: string) {
    const when = beforeHandshake ? 'refused the connection' : 'rejected the login';
    super(
      'GH_ERR_MYSQL_SERVER_ERROR',
      `MySQL server ${address} ${when}: ERROR ${errno} (${sqlState}): ${serverMessage}`,
    );
    this.errno = errno;
    this.sqlState = sqlState;
    this.serverMessage = serverMessage;
    this.beforeHandshake = beforeHandshake;
  }
}

/** An auth plugin or step we do not implement, or refuse for safety. */
export class MysqlAuthUnsupportedError extends MysqlError {
  readonly plugin: string;

  constructor(plugin: string, message: string) {
    super('GH_ERR_MYSQL_AUTH_UNSUPPORTED', message);
    this.plugin = plugin;
  }
}

/** The peer broke the connection-phase sequence (as opposed to sending undecodable bytes). */
export class MysqlHandshakeError extends MysqlError {
  constructor(message: string, options?: ErrorOptions) {
    super('GH_ERR_MYSQL_HANDSHAKE', message, options);
  }
}
