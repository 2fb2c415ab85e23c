// What the engine must remember about each prepared statement to decode COM_STMT_EXECUTE and
// COM_STMT_BULK_EXECUTE: neither packet carries its own parameter count (MySQL without query
// attributes), and either may omit the parameter types, reusing those of the previous execute.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html

import type { ClientCommand, PackedParamTypes } from './command-types.js';

/** `Note`: what the registry's owner keeps with each statement (the engine: its audit text). */
export interface PreparedStatementState<Note = unknown> {
  readonly statementId: number;
  readonly paramCount: number;
  /** Types from the last execute that bound them; undefined until one did. */
  paramTypes: PackedParamTypes | undefined;
  /** Parameter index → bytes received through COM_STMT_SEND_LONG_DATA since the last execute. */
  readonly longData: Map<number, number>;
  /** The owner's own data for this statement; undefined until it sets it. */
  note: Note | undefined;
}

/** MariaDB 10.2+: statement id -1 executes the statement prepared last on the connection. */
export const LAST_PREPARED_STATEMENT_ID = 0xffffffff;

export interface PreparedStatementRegistryOptions {
  /** Statements remembered at once; the oldest is forgotten past this. MySQL's own default cap is 16,382. */
  readonly maxStatements?: number;
}

export class PreparedStatementRegistry<Note = unknown> {
  readonly #statements = new Map<number, PreparedStatementState<Note>>();
  readonly #maxStatements: number;
  #lastPreparedId: number | undefined;

  constructor(options: PreparedStatementRegistryOptions = {}) {
    this.#maxStatements = options.maxStatements ?? 16_384;
  }

  get size(): number {
    return this.#statements.size;
  }

  /** Feed from COM_STMT_PREPARE_OK: the statement id and num_params the server announced. */
  recordPrepared(statementId: number, paramCount: number): PreparedStatementState<Note> {
    this.#statements.delete(statementId);
    if (this.#statements.size >= this.#maxStatements) {
      const oldest = this.#statements.keys().next();
      if (!oldest.done) this.#statements.delete(oldest.value);
    }
    const state: PreparedStatementState<Note> = {
      statementId,
      paramCount,
      paramTypes: undefined,
      longData: new Map(),
      note: undefined,
    };
    this.#statements.set(statementId, state);
    this.#lastPreparedId = statementId;
    return state;
  }

  /** Feed when a COM_STMT_PREPARE got ERR: MariaDB's "last prepared" id then names nothing. */
  recordPrepareFailed(): void {
    this.#lastPreparedId = undefined;
  }

  /** The statement an id names, resolving MariaDB's -1 to the last one prepared. */
  lookup(statementId: number): PreparedStatementState<Note> | undefined {
    const id = statementId === LAST_PREPARED_STATEMENT_ID ? this.#lastPreparedId : statementId;
    return id === undefined ? undefined : this.#statements.get(id);
  }

  /**
   * Applies a parsed client command's effect on statement state. Call it for every command, in
   * order, right after parsing it: an execute keeps the types it bound and consumes the long
   * data; close forgets the statement; reset drops long data; a connection reset forgets all.
   */
  observe(command: ClientCommand): void {
    switch (command.kind) {
      case 'stmt_send_long_data': {
        const stmt = this.lookup(command.statementId);
        if (stmt === undefined || command.paramId >= stmt.paramCount) return;
        stmt.longData.set(command.paramId, (stmt.longData.get(command.paramId) ?? 0) + command.dataLength);
        return;
      }
      case 'stmt_execute':
      case 'stmt_bulk_execute': {
        const stmt = this.lookup(command.statementId);
        if (stmt === undefined) return;
        if (command.boundTypes !== undefined) stmt.paramTypes = command.boundTypes;
        stmt.longData.clear();
        return;
      }
      case 'stmt_reset':
        this.lookup(command.statementId)?.longData.clear();
        return;
      case 'stmt_close': {
        const stmt = this.lookup(command.statementId);
        if (stmt === undefined) return;
        this.#statements.delete(stmt.statementId);
        if (this.#lastPreparedId === stmt.statementId) this.#lastPreparedId = undefined;
        return;
      }
      // COM_CHANGE_USER also drops statements; the engine answers it itself (a new database
      // leg) and calls clear() when the change is made.
      case 'reset_connection':
        this.clear();
        return;
      default:
        return;
    }
  }

  clear(): void {
    this.#statements.clear();
    this.#lastPreparedId = undefined;
  }
}
