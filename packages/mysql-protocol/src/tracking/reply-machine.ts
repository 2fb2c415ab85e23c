// The per-packet state machine behind ResponseTracker: it knows which reply it is reading (by the
// command being answered) and where in that reply it stands, and turns packets into outcomes.
// Rows are counted from their first byte and length only, never copied.
// https://mariadb.com/kb/en/result-set-packets/ https://mariadb.com/kb/en/com_stmt_prepare/
// https://mariadb.com/kb/en/com_stmt_fetch/ https://mariadb.com/kb/en/load-data-infile/
import { Capability, MariaDbCapability } from '../wire/capabilities.js';
import { PacketHeader as Header, MAX_FRAME_PAYLOAD, ServerStatus } from '../wire/constants.js';
import { MysqlProtocolError } from '../wire/protocol-error.js';
import type { ProgressReport, ResponseOutcome } from './outcome.js';
import { ReplyKind, replyKindOf } from './reply-kind.js';
import {
  type PrepareOkFields,
  readColumnCount,
  readEofStatus,
  readErrOrProgress,
  readInfileName,
  readOkSummary,
  readPrepareOk,
  readTerminator,
} from './reply-packets.js';
import type { TrackedCommand } from './tracked-command.js';

export interface ResponseTrackerOptions {
  /** The capabilities both sides agreed on (the client's flags masked by the server's). */
  readonly capabilities: number;
  /** MariaDB extended capabilities (the upper 32 bits), agreed by both sides; 0 for MySQL. */
  readonly mariadbCapabilities?: number;
  readonly onOutcome: (outcome: ResponseOutcome) => void;
  readonly onProgress?: (report: ProgressReport) => void;
  /**
   * Every OK packet that can carry session-state changes (an OK reply, and the OK that ends rows
   * under CLIENT_DEPRECATE_EOF), before its outcome: `b[start, end)` is its payload (a prefix
   * unless `complete`), `endOffset` the stream offset just past it. The engine reads the
   * session's state from it and rewrites it for a client that did not ask for session tracking.
   */
  readonly onOkPacket?: OkPacketListener;
  /**
   * A COM_STMT_PREPARE's OK packet, before its parameter and column definitions: the engine
   * rewrites the statement id in it after a live migration (statement-id-map.ts).
   */
  readonly onPrepareOkPacket?: OkPacketListener;
}

export type OkPacketListener = (
  b: Buffer,
  start: number,
  end: number,
  complete: boolean,
  length: number,
  endOffset: number,
) => void;

/** What the client's next packet is: a command, LOCAL INFILE file data, or auth data. */
export type ClientPhase = 'command' | 'local-infile' | 'auth';

const Phase = {
  Idle: 0,
  First: 1,
  Columns: 2,
  ColumnsEof: 3,
  Rows: 4,
  PrepareParams: 5,
  PrepareParamsEof: 6,
  PrepareColumns: 7,
  PrepareColumnsEof: 8,
  Infile: 9,
  FieldList: 10,
  Single: 11,
  Binlog: 12,
  ChangeUser: 13,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** A column definition always opens with the catalog, the lenenc string "def". */
const COLUMN_DEFINITION_START = 0x03;
/** Without CLIENT_DEPRECATE_EOF an EOF packet is shorter than 9 bytes; a row starting 0xFE is not. */
const EOF_LENGTH_LIMIT = 9;
const NO_PREPARE: PrepareOkFields = { statementId: 0, columnCount: 0, paramCount: 0, warnings: 0 };

export abstract class ReplyMachine {
  protected readonly onOutcome: (outcome: ResponseOutcome) => void;
  private readonly onProgress: ((report: ProgressReport) => void) | undefined;
  private readonly onOkPacket: OkPacketListener | undefined;
  private readonly onPrepareOkPacket: OkPacketListener | undefined;
  private readonly capabilities: number;
  private readonly deprecateEof: boolean;
  private readonly metadataFlag: boolean;
  /** A 0xFE packet shorter than this ends rows or a column list. */
  private readonly terminatorLimit: number;

  private phase: Phase = Phase.Idle;
  private kind: ReplyKind = ReplyKind.None;
  private current: TrackedCommand | undefined;
  /** Length of the current packet's first frame. */
  private length = 0;
  private remaining = 0;
  private columnCount = 0;
  private rowCount = 0;
  private prepared = NO_PREPARE;
  private infileName = '';
  private infileBytes = 0;
  private infileSent = false;
  /** The server is silent while the client uploads, so the upload "ends" where the request did. */
  private infileRequestEnd = 0;
  private authRound = false;

  constructor(options: ResponseTrackerOptions) {
    this.onOutcome = options.onOutcome;
    this.onProgress = options.onProgress;
    this.onOkPacket = options.onOkPacket;
    this.onPrepareOkPacket = options.onPrepareOkPacket;
    this.capabilities = options.capabilities;
    this.deprecateEof = (options.capabilities & Capability.DeprecateEof) !== 0;
    this.metadataFlag =
      ((options.mariadbCapabilities ?? 0) & MariaDbCapability.CacheMetadata) !== 0 ||
      (options.capabilities & Capability.OptionalResultsetMetadata) !== 0;
    this.terminatorLimit = this.deprecateEof ? MAX_FRAME_PAYLOAD : EOF_LENGTH_LIMIT;
  }

  /** What the client's next packet is. Commands always carry sequence id 0; the others never do. */
  get clientPhase(): ClientPhase {
    if (this.phase === Phase.Infile && !this.infileSent) return 'local-infile';
    if (this.phase === Phase.ChangeUser && this.authRound) return 'auth';
    return 'command';
  }

  /** The command whose reply is under way, if any. */
  protected get answering(): TrackedCommand | undefined {
    return this.phase === Phase.Idle ? undefined : this.current;
  }

  /** No reply is under way. */
  protected get idle(): boolean {
    return this.phase === Phase.Idle;
  }

  /**
   * A whole client packet that is not a command (see clientPhase): LOCAL INFILE data or an auth
   * response, by its payload length. An empty packet ends a LOCAL INFILE upload.
   */
  onClientData(length: number): void {
    if (this.phase === Phase.Infile && !this.infileSent) {
      this.infileBytes += length;
      if (length === 0) this.finishInfileUpload(this.infileRequestEnd);
    }
  }

  /**
   * One server packet: `b[start, end)` is its start (all of it when `complete`), `length` the
   * length of its first frame, `endOffset` the stream offset just past that frame.
   */
  onServerPacket(b: Buffer, start: number, end: number, length: number, complete: boolean, endOffset: number): void {
    const first = length === 0 ? -1 : (b[start] as number);
    // Rows first: they are nearly every packet. A row may start with 0x00 (empty string, binary
    // row header), 0xFB (NULL) or 0xFE (an 8-byte length, so ≥ 16 MiB); it never starts with 0xFF.
    if (this.phase === Phase.Rows) {
      if (first === Header.Eof && length < this.terminatorLimit) {
        this.length = length;
        this.endRows(b, start, end, complete, endOffset);
      } else if (first === Header.Err) this.onErrPacket(b, start, end, endOffset);
      else if (length === 0) throw new MysqlProtocolError('empty packet in a result set');
      else this.rowCount++;
      return;
    }
    this.length = length;
    switch (this.phase) {
      case Phase.Idle:
        if (first !== Header.Err) throw new MysqlProtocolError('server packet with no command pending');
        this.onErrPacket(b, start, end, endOffset);
        return;
      case Phase.First:
        this.onFirstPacket(first, b, start, end, complete, endOffset);
        return;
      case Phase.Columns:
      case Phase.PrepareParams:
      case Phase.PrepareColumns:
        if (first !== COLUMN_DEFINITION_START) {
          throw new MysqlProtocolError(`expected a column definition, got a packet starting 0x${hex(first)}`);
        }
        if (--this.remaining === 0) this.endDefinitions(endOffset);
        return;
      case Phase.ColumnsEof:
      case Phase.PrepareParamsEof:
      case Phase.PrepareColumnsEof:
        this.onDefinitionsEof(first, b, start, end, endOffset);
        return;
      case Phase.Infile:
        this.onInfileReply(first, b, start, end, complete, endOffset);
        return;
      case Phase.FieldList:
        if (first === Header.Eof && length < this.terminatorLimit) {
          this.emit({
            kind: 'field-list',
            command: this.current,
            done: true,
            endOffset,
            columnCount: this.columnCount,
          });
        } else if (first === Header.Err) this.onErrPacket(b, start, end, endOffset);
        else if (first === COLUMN_DEFINITION_START) this.columnCount++;
        else throw new MysqlProtocolError(`unexpected 0x${hex(first)} packet in a COM_FIELD_LIST reply`);
        return;
      case Phase.Single:
        this.onSinglePacket(first, b, start, end, complete, endOffset);
        return;
      case Phase.Binlog:
        if (first === Header.Ok) this.rowCount++;
        else if (first === Header.Eof && length < EOF_LENGTH_LIMIT) {
          this.emit({ kind: 'binlog-end', command: this.current, done: true, endOffset, events: this.rowCount });
        } else if (first === Header.Err) this.onErrPacket(b, start, end, endOffset);
        else throw new MysqlProtocolError(`unexpected 0x${hex(first)} packet in a binlog stream`);
        return;
      case Phase.ChangeUser:
        if (first === Header.Ok) this.emitOk(b, start, end, complete, endOffset);
        else if (first === Header.Err) this.onErrPacket(b, start, end, endOffset);
        else if (first === Header.Eof || first === 0x01)
          this.authRound = true; // AuthSwitchRequest, AuthMoreData
        else throw new MysqlProtocolError(`unexpected 0x${hex(first)} packet in a COM_CHANGE_USER reply`);
        return;
    }
  }

  /** Moves on to the reply to the next pending command, or to idle. */
  protected abstract startNext(): void;

  /** Starts reading the reply to `command`; false when the command gets no reply at all. */
  protected beginReply(command: TrackedCommand | undefined): boolean {
    this.current = command;
    if (command === undefined) {
      this.phase = Phase.Idle;
      return true;
    }
    this.kind = command.answered === true ? ReplyKind.None : replyKindOf(command.command);
    this.authRound = false;
    this.rowCount = 0;
    this.columnCount = 0;
    switch (this.kind) {
      case ReplyKind.None:
        this.phase = Phase.Idle;
        return false;
      case ReplyKind.Fetch:
        this.phase = Phase.Rows;
        return true;
      case ReplyKind.FieldList:
        this.phase = Phase.FieldList;
        return true;
      case ReplyKind.Statistics:
      case ReplyKind.Simple:
        this.phase = Phase.Single;
        return true;
      case ReplyKind.Binlog:
        this.phase = Phase.Binlog;
        return true;
      case ReplyKind.ChangeUser:
        this.phase = Phase.ChangeUser;
        return true;
      default:
        this.phase = Phase.First;
        return true;
    }
  }

  /** The first packet of a (next) result: OK, ERR, LOCAL INFILE request or a column count. */
  private onFirstPacket(
    first: number,
    b: Buffer,
    start: number,
    end: number,
    complete: boolean,
    endOffset: number,
  ): void {
    if (first === Header.Ok) {
      this.emitOk(b, start, end, complete, endOffset);
    } else if (first === Header.Err) {
      this.onErrPacket(b, start, end, endOffset);
    } else if (first === Header.LocalInfile && (this.kind === ReplyKind.Query || this.kind === ReplyKind.Execute)) {
      this.infileName = readInfileName(b, start, end);
      this.infileBytes = 0;
      this.infileSent = false;
      this.infileRequestEnd = endOffset;
      this.phase = Phase.Infile;
    } else if (first === -1 || first === Header.Eof || first === Header.LocalInfile) {
      throw new MysqlProtocolError(`unexpected 0x${hex(first)} packet where a result was expected`);
    } else {
      const { count, metadataFollows } = readColumnCount(b, start, end, this.metadataFlag);
      if (count === 0) throw new MysqlProtocolError('result set with zero columns');
      this.columnCount = count;
      this.rowCount = 0;
      this.remaining = metadataFollows ? count : 0;
      this.phase = Phase.Columns;
      if (this.remaining === 0) this.endDefinitions(endOffset);
    }
  }

  private endDefinitions(endOffset: number): void {
    switch (this.phase) {
      case Phase.Columns:
        if (!this.deprecateEof) this.phase = Phase.ColumnsEof;
        else this.afterColumns(0, 0, endOffset);
        return;
      case Phase.PrepareParams:
        if (!this.deprecateEof) this.phase = Phase.PrepareParamsEof;
        else this.startPrepareColumns(endOffset);
        return;
      case Phase.PrepareColumns:
        if (!this.deprecateEof) this.phase = Phase.PrepareColumnsEof;
        else this.emitPrepared(endOffset);
        return;
    }
  }

  private onDefinitionsEof(first: number, b: Buffer, start: number, end: number, endOffset: number): void {
    if (first === Header.Err) {
      this.onErrPacket(b, start, end, endOffset);
      return;
    }
    if (first !== Header.Eof || this.length >= EOF_LENGTH_LIMIT) {
      throw new MysqlProtocolError(`expected EOF after column definitions, got 0x${hex(first)}`);
    }
    if (this.phase === Phase.PrepareParamsEof) this.startPrepareColumns(endOffset);
    else if (this.phase === Phase.PrepareColumnsEof) this.emitPrepared(endOffset);
    else {
      const eof = readEofStatus(b, start, end, this.capabilities);
      this.afterColumns(eof.statusFlags, eof.warnings, endOffset);
    }
  }

  /**
   * After the column definitions: rows follow, unless COM_STMT_EXECUTE asked for a cursor and the
   * server opened one (SERVER_STATUS_CURSOR_EXISTS), in which case rows come through COM_STMT_FETCH.
   */
  private afterColumns(statusFlags: number, warnings: number, endOffset: number): void {
    if (this.opensCursor(statusFlags)) this.emitCursor(statusFlags, warnings, endOffset);
    else this.phase = Phase.Rows;
  }

  private opensCursor(statusFlags: number): boolean {
    return (
      this.kind === ReplyKind.Execute &&
      this.current?.cursor === true &&
      (statusFlags & ServerStatus.CursorExists) !== 0
    );
  }

  private emitCursor(statusFlags: number, warnings: number, endOffset: number): void {
    this.emit({
      kind: 'resultset',
      command: this.current,
      done: true,
      endOffset,
      columnCount: this.columnCount,
      rowCount: 0,
      binary: true,
      cursor: true,
      statusFlags,
      warnings,
    });
  }

  private endRows(b: Buffer, start: number, end: number, complete: boolean, endOffset: number): void {
    if (this.deprecateEof) this.onOkPacket?.(b, start, end, complete, this.length, endOffset);
    const { statusFlags, warnings } = readTerminator(b, start, end, complete, this.capabilities);
    // Under CLIENT_DEPRECATE_EOF there is no EOF after the column definitions, yet a server that
    // opens a cursor still sends an OK (0xFE) there to carry SERVER_STATUS_CURSOR_EXISTS.
    if (this.rowCount === 0 && this.opensCursor(statusFlags)) {
      this.emitCursor(statusFlags, warnings, endOffset);
      return;
    }
    if (this.kind === ReplyKind.Fetch) {
      const lastRowSent = (statusFlags & ServerStatus.LastRowSent) !== 0;
      this.emit({
        kind: 'fetch',
        command: this.current,
        done: true,
        endOffset,
        rowCount: this.rowCount,
        lastRowSent,
        statusFlags,
        warnings,
      });
      return;
    }
    const more = (statusFlags & ServerStatus.MoreResultsExists) !== 0;
    this.emit({
      kind: 'resultset',
      command: this.current,
      done: !more,
      endOffset,
      columnCount: this.columnCount,
      rowCount: this.rowCount,
      binary: this.kind === ReplyKind.Execute,
      cursor: false,
      statusFlags,
      warnings,
    });
  }

  private onInfileReply(
    first: number,
    b: Buffer,
    start: number,
    end: number,
    complete: boolean,
    endOffset: number,
  ): void {
    if (first === Header.Ok) {
      this.endInfileUpload();
      this.emitOk(b, start, end, complete, endOffset);
    } else if (first === Header.Err) {
      this.onErrPacket(b, start, end, endOffset);
    } else {
      throw new MysqlProtocolError(`unexpected 0x${hex(first)} packet after a LOCAL INFILE request`);
    }
  }

  /** The server answers once it has the whole file; if it answers early, the upload is over. */
  private endInfileUpload(): void {
    if (!this.infileSent) this.finishInfileUpload(this.infileRequestEnd);
  }

  private finishInfileUpload(endOffset: number): void {
    this.infileSent = true;
    this.onOutcome({
      kind: 'local-infile',
      command: this.current,
      done: false,
      endOffset,
      filename: this.infileName,
      bytes: this.infileBytes,
    });
  }

  private onSinglePacket(
    first: number,
    b: Buffer,
    start: number,
    end: number,
    complete: boolean,
    endOffset: number,
  ): void {
    if (first === Header.Err) {
      this.onErrPacket(b, start, end, endOffset);
    } else if (this.kind === ReplyKind.Statistics) {
      this.emit({
        kind: 'statistics',
        command: this.current,
        done: true,
        endOffset,
        text: b.toString('utf8', start, end),
      });
    } else if (first === Header.Ok) {
      this.emitOk(b, start, end, complete, endOffset);
    } else if (first === Header.Eof && this.length < EOF_LENGTH_LIMIT) {
      // COM_SET_OPTION, COM_DEBUG and COM_SHUTDOWN may answer with an EOF packet.
      const eof = readEofStatus(b, start, end, this.capabilities);
      this.emit({
        kind: 'ok',
        command: this.current,
        done: true,
        endOffset,
        affectedRows: 0,
        lastInsertId: 0,
        info: '',
        ...eof,
      });
    } else {
      throw new MysqlProtocolError(`unexpected 0x${hex(first)} packet where OK or ERR was expected`);
    }
  }

  private startPrepareColumns(endOffset: number): void {
    this.remaining = this.prepared.columnCount;
    this.phase = Phase.PrepareColumns;
    if (this.remaining === 0) this.emitPrepared(endOffset);
  }

  private emitPrepared(endOffset: number): void {
    this.emit({ kind: 'prepared', command: this.current, done: true, endOffset, ...this.prepared });
  }

  private emitOk(b: Buffer, start: number, end: number, complete: boolean, endOffset: number): void {
    if (this.kind === ReplyKind.Prepare) {
      this.prepared = readPrepareOk(b, start, end);
      this.onPrepareOkPacket?.(b, start, end, complete, this.length, endOffset);
      this.remaining = this.prepared.paramCount;
      this.phase = Phase.PrepareParams;
      if (this.remaining === 0) this.startPrepareColumns(endOffset);
      return;
    }
    this.onOkPacket?.(b, start, end, complete, this.length, endOffset);
    const ok = readOkSummary(b, start, end, complete, this.capabilities);
    const more = this.kind !== ReplyKind.ChangeUser && (ok.statusFlags & ServerStatus.MoreResultsExists) !== 0;
    this.emit({ kind: 'ok', command: this.current, done: !more, endOffset, ...ok });
  }

  private onErrPacket(b: Buffer, start: number, end: number, endOffset: number): void {
    const err = readErrOrProgress(b, start, end, this.capabilities);
    if (err.kind === 'progress') {
      this.onProgress?.({
        command: this.current,
        stage: err.stage,
        maxStage: err.maxStage,
        progress: err.progress,
        info: err.info,
      });
      return;
    }
    if (this.phase === Phase.Infile) this.endInfileUpload();
    // An ERR ends the whole reply, whatever results came before it.
    this.emit({
      kind: 'err',
      command: this.current,
      done: true,
      endOffset,
      errno: err.errno,
      sqlState: err.sqlState,
      message: err.message,
    });
  }

  /** Reports an outcome, then moves on: to the next result, or to the next command's reply. */
  private emit(outcome: ResponseOutcome): void {
    this.onOutcome(outcome);
    if (outcome.done) this.startNext();
    else this.phase = Phase.First;
  }
}

function hex(byte: number): string {
  return byte < 0 ? '(empty)' : byte.toString(16).padStart(2, '0');
}
