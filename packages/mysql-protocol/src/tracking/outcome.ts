// What the tracker reports about each server response. One response (the reply to one command)
// yields one or more outcomes; the last has `done: true`. Multi-results (CALL, multi-statement)
// yield one outcome per result, each with `done: false` except the last.
import type { TrackedCommand } from './tracked-command.js';

interface OutcomeBase {
  /** The command this answers; undefined for an ERR the server sent with no command pending. */
  readonly command: TrackedCommand | undefined;
  /** True when this outcome ends the reply to `command`. */
  readonly done: boolean;
  /** Offset in the server→client byte stream just past the packet that produced this outcome. */
  readonly endOffset: number;
}

export interface OkOutcome extends OutcomeBase {
  readonly kind: 'ok';
  /** A number, or a bigint beyond Number.MAX_SAFE_INTEGER. */
  readonly affectedRows: number | bigint;
  readonly lastInsertId: number | bigint;
  readonly statusFlags: number;
  readonly warnings: number;
  /** Human-readable info ("Records: 3  Duplicates: 0 …"); empty when absent. */
  readonly info: string;
}

export interface ErrOutcome extends OutcomeBase {
  readonly kind: 'err';
  readonly errno: number;
  /** Five characters, or '' when the server omitted the marker. */
  readonly sqlState: string;
  readonly message: string;
}

export interface ResultSetOutcome extends OutcomeBase {
  readonly kind: 'resultset';
  readonly columnCount: number;
  readonly rowCount: number;
  /** Binary rows (COM_STMT_EXECUTE / COM_STMT_FETCH) rather than text rows. */
  readonly binary: boolean;
  /**
   * COM_STMT_EXECUTE opened a cursor: only the column definitions came back, rows follow
   * through COM_STMT_FETCH.
   */
  readonly cursor: boolean;
  readonly statusFlags: number;
  readonly warnings: number;
}

/** The rows one COM_STMT_FETCH returned; `lastRowSent` says the cursor is exhausted. */
export interface FetchOutcome extends OutcomeBase {
  readonly kind: 'fetch';
  readonly rowCount: number;
  readonly lastRowSent: boolean;
  readonly statusFlags: number;
  readonly warnings: number;
}

export interface PreparedOutcome extends OutcomeBase {
  readonly kind: 'prepared';
  readonly statementId: number;
  readonly columnCount: number;
  readonly paramCount: number;
  readonly warnings: number;
}

/** A LOCAL INFILE exchange finished on the client side: the file was sent (maybe empty). */
export interface LocalInfileOutcome extends OutcomeBase {
  readonly kind: 'local-infile';
  readonly filename: string;
  readonly bytes: number;
}

/** COM_STATISTICS: one raw string. */
export interface StatisticsOutcome extends OutcomeBase {
  readonly kind: 'statistics';
  readonly text: string;
}

/** COM_FIELD_LIST: column definitions then EOF. */
export interface FieldListOutcome extends OutcomeBase {
  readonly kind: 'field-list';
  readonly columnCount: number;
}

/** COM_BINLOG_DUMP(_GTID) ended with EOF (non-blocking dump). */
export interface BinlogEndOutcome extends OutcomeBase {
  readonly kind: 'binlog-end';
  readonly events: number;
}

/** A command the server never answers (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, COM_QUIT). */
export interface NoReplyOutcome extends OutcomeBase {
  readonly kind: 'no-reply';
}

export type ResponseOutcome =
  | OkOutcome
  | ErrOutcome
  | ResultSetOutcome
  | FetchOutcome
  | PreparedOutcome
  | LocalInfileOutcome
  | StatisticsOutcome
  | FieldListOutcome
  | BinlogEndOutcome
  | NoReplyOutcome;

/** A MariaDB progress report (an 0xFF packet with errno 0xFFFF): not an outcome. */
export interface ProgressReport {
  readonly command: TrackedCommand | undefined;
  readonly stage: number;
  readonly maxStage: number;
  /** Percent done within the stage. */
  readonly progress: number;
  readonly info: string;
}
