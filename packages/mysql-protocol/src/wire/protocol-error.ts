// The one error type for malformed MySQL input. Every parser under mysql/* throws it (or its
// subclass) and nothing else, so a connection boundary can catch it, send an ERR and close.
import { MysqlError } from '../mysql-error.js';

export type MysqlProtocolErrorCode = 'GH_ERR_MYSQL_PROTOCOL' | 'GH_ERR_MYSQL_PACKET_TOO_LARGE';

export class MysqlProtocolError extends MysqlError {
  constructor(message: string, options?: ErrorOptions, code: MysqlProtocolErrorCode = 'GH_ERR_MYSQL_PROTOCOL') {
    super(code, message, options);
  }
}

/**
 * A packet header announced more than the configured maximum. Raised from the header, before
 * any payload is buffered. Still a MysqlProtocolError, so one `instanceof` catches both.
 */
export class MysqlPacketTooLargeError extends MysqlProtocolError {
  readonly length: number;
  readonly maxPacketSize: number;

  constructor(length: number, maxPacketSize: number) {
    super(
      `MySQL packet of ${length} bytes exceeds the maximum of ${maxPacketSize} bytes`,
      undefined,
      'GH_ERR_MYSQL_PACKET_TOO_LARGE',
    );
    this.length = length;
    this.maxPacketSize = maxPacketSize;
  }
}
