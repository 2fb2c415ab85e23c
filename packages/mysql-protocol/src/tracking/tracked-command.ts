// What the tracker needs to know about a client command to follow the server's reply: the
// command byte and, for prepared statements, the statement id and whether a cursor was asked for.
// https://mariadb.com/kb/en/com_stmt_execute/

import { Command } from '../wire/constants.js';
import { MysqlProtocolError } from '../wire/protocol-error.js';

export interface TrackedCommand {
  /** The command byte, e.g. 0x03 for COM_QUERY. */
  readonly command: number;
  /** COM_STMT_EXECUTE / COM_STMT_FETCH / COM_STMT_BULK_EXECUTE: the statement id. */
  readonly statementId?: number;
  /** COM_STMT_EXECUTE: the client asked for a cursor (flags & CURSOR_TYPE_*). */
  readonly cursor?: boolean;
  /**
   * The relay answered the command itself (a denial) and never sent it: no server reply
   * follows. It keeps its place in the queue, so it ends (a no-reply outcome) in command order.
   */
  readonly answered?: boolean;
}

// CURSOR_TYPE_READ_ONLY | CURSOR_TYPE_FOR_UPDATE | CURSOR_TYPE_SCROLLABLE; MySQL 8's 0x08
// (PARAMETER_COUNT_AVAILABLE) is not a cursor.
const CURSOR_FLAGS = 0x07;

/**
 * Reads the fields the tracker needs from the start of a command payload (the first 10 bytes are
 * enough). `length` is the payload's full length when `payload` is only its prefix.
 */
export function readTrackedCommand(payload: Uint8Array, length: number = payload.length): TrackedCommand {
  if (length === 0 || payload.length === 0) {
    throw new MysqlProtocolError('empty client command packet');
  }
  const command = payload[0] as number;
  switch (command) {
    case Command.StmtExecute: {
      if (payload.length < 6) throw new MysqlProtocolError('COM_STMT_EXECUTE is too short');
      return { command, statementId: readUint32(payload, 1), cursor: ((payload[5] as number) & CURSOR_FLAGS) !== 0 };
    }
    case Command.StmtFetch:
    case Command.StmtBulkExecute:
    case Command.StmtClose:
    case Command.StmtReset:
    case Command.StmtSendLongData: {
      if (payload.length < 5) throw new MysqlProtocolError('prepared-statement command is too short');
      return { command, statementId: readUint32(payload, 1) };
    }
    default:
      return { command };
  }
}

function readUint32(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
    (b[at + 3] as number) * 0x1000000
  );
}
