// What a session has changed on its database connection, kept so that another engine can rebuild
// it (live migration, docs/migration.md), and whether it can be moved right now. The database
// leg always asks for CLIENT_SESSION_TRACK, so most of it comes from the server's own session
// tracking in OK packets (schema, system variables, transaction state); the rest is watched in
// the commands: user variables (their values are read back when the session moves), prepared
// statements, and what pins a session to its connection (table locks, temporary tables, user
// locks, open cursors). https://mariadb.com/kb/en/ok_packet/#session-change-type
import { ServerStatus, type SessionStateChange } from '@gatehouse/mysql-protocol';
import { type StatementEffect, statementEffects } from './state-statements.js';

/** Why a session cannot move now; each has a sentence in NOT_MIGRATABLE_TEXT. */
export type NotMigratableReason =
  | 'transaction'
  | 'table_lock'
  | 'temporary_table'
  | 'user_lock'
  | 'streaming'
  | 'cursor'
  | 'load_data'
  | 'statement_too_long'
  | 'sql_prepare_from_variable'
  | 'tracking_off'
  | 'starting';

export const NOT_MIGRATABLE_TEXT: Readonly<Record<NotMigratableReason, string>> = {
  transaction: 'a transaction is open',
  table_lock: 'tables are locked (LOCK TABLES)',
  temporary_table: 'a temporary table exists',
  user_lock: 'a user lock is held (GET_LOCK)',
  streaming: 'a result is being streamed',
  cursor: 'a cursor is open',
  load_data: 'a LOAD DATA is in progress',
  statement_too_long: 'a prepared statement is too long to prepare again',
  sql_prepare_from_variable: 'a statement was prepared from a user variable (PREPARE … FROM @var)',
  tracking_off: "the database's session tracking is off for this session",
  starting: 'the session is still logging in',
};

export type Migratability =
  | { readonly migratable: true }
  | { readonly migratable: false; readonly reason: NotMigratableReason; readonly message: string };

/** A prepared statement as another connection would need it: its SQL and the types last bound. */
export interface TrackedStatement {
  readonly statementId: number;
  readonly sql: string;
  /** The SQL was cut at the command prefix limit: it cannot be prepared again. */
  readonly truncated: boolean;
  readonly paramCount: number;
  /** Two bytes per parameter (type, flags) from the last execute that bound types. */
  paramTypes: Buffer | undefined;
}

/** What the relay says about the reply in flight, which the state cannot see itself. */
export interface ReplyActivity {
  readonly busy: boolean;
  readonly loadingData: boolean;
}

/** The session_track_* variables the engine sets itself: never replayed. */
const ENGINE_OWNED = /^session_track_/;
const MIGRATABLE: Migratability = Object.freeze({ migratable: true });

export class SessionState {
  schema: string;
  // Each collection is made when first used: empty, a Map or Set costs about 180 bytes, and most
  // idle sessions never use most of them (issue 13: memory per idle session).
  #variables: Map<string, string> | undefined;
  #userVariables: Set<string> | undefined;
  #statements: Map<number, TrackedStatement> | undefined;
  #temporaryTables: Set<string> | undefined;
  #userLocks: Set<string> | undefined;
  #sqlPrepared: Map<string, string> | undefined;
  #sqlPreparedFromVariable: Set<string> | undefined;
  #cursors: Set<number> | undefined;
  /** System variables the session changed, by lower-case name, as the server reported them. */
  get variables(): Map<string, string> {
    this.#variables ??= new Map<string, string>();
    return this.#variables;
  }
  /** session_track_transaction_info's state, e.g. "T_____R_" ('' until reported). */
  transactionState = '';
  /** The statements that would recreate the transaction's characteristics ('' when default). */
  transactionCharacteristics = '';
  /** The last status flags the server sent. */
  statusFlags: number = ServerStatus.Autocommit;
  /** Names (lower case, without '@') of user variables the session assigned. */
  get userVariables(): Set<string> {
    this.#userVariables ??= new Set<string>();
    return this.#userVariables;
  }
  get statements(): Map<number, TrackedStatement> {
    this.#statements ??= new Map<number, TrackedStatement>();
    return this.#statements;
  }
  tableLocks = false;
  /** Temporary tables by lower-case name (as written, maybe schema-qualified). */
  get temporaryTables(): Set<string> {
    this.#temporaryTables ??= new Set<string>();
    return this.#temporaryTables;
  }
  /** GET_LOCK names (lower case); `anyUserLock` covers a name that was not a literal. */
  get userLocks(): Set<string> {
    this.#userLocks ??= new Set<string>();
    return this.#userLocks;
  }
  anyUserLock = false;
  /** SQL-level prepared statements by lower-case name: the PREPARE to run again (from a literal). */
  get sqlPrepared(): Map<string, string> {
    this.#sqlPrepared ??= new Map<string, string>();
    return this.#sqlPrepared;
  }
  /** Names prepared FROM @var: they cannot be prepared again faithfully. */
  get sqlPreparedFromVariable(): Set<string> {
    this.#sqlPreparedFromVariable ??= new Set<string>();
    return this.#sqlPreparedFromVariable;
  }
  /** Statement ids with a cursor open. */
  get cursors(): Set<number> {
    this.#cursors ??= new Set<number>();
    return this.#cursors;
  }
  /** The server's session tracking works on this connection. */
  tracking = false;

  constructor(schema: string) {
    this.schema = schema;
  }

  get autocommit(): boolean {
    return (this.statusFlags & ServerStatus.Autocommit) !== 0;
  }

  get inTransaction(): boolean {
    if ((this.statusFlags & ServerStatus.InTrans) !== 0) return true;
    // With transaction tracking, 'T' (explicit) or 'I' (implicit) opens the state string.
    const first = this.transactionState[0];
    return first === 'T' || first === 'I';
  }

  /** The isolation level the session set (tx_isolation / transaction_isolation), if it did. */
  get isolation(): string | undefined {
    return this.variables.get('transaction_isolation') ?? this.variables.get('tx_isolation');
  }

  get characterSet(): string | undefined {
    return this.variables.get('character_set_client');
  }

  get collation(): string | undefined {
    return this.variables.get('collation_connection');
  }

  /** Status flags from any OK, EOF or result terminator. */
  onStatus(statusFlags: number): void {
    this.statusFlags = statusFlags;
  }

  /** The session-state changes an OK packet carried. */
  onChanges(changes: readonly SessionStateChange[]): void {
    for (const c of changes) {
      switch (c.kind) {
        case 'schema':
          this.schema = c.schema;
          break;
        case 'system-variable': {
          const name = c.name.toLowerCase();
          if (!ENGINE_OWNED.test(name)) this.variables.set(name, c.value);
          break;
        }
        case 'transaction-state':
          this.transactionState = c.state;
          break;
        case 'transaction-characteristics':
          this.transactionCharacteristics = c.characteristics;
          break;
        default:
          break;
      }
    }
  }

  /** A COM_QUERY succeeded: what its statements did to the state. */
  onQuerySucceeded(sql: string): void {
    for (const effect of statementEffects(sql)) this.#apply(effect);
  }

  #apply(e: StatementEffect): void {
    switch (e.kind) {
      case 'user-variable':
        this.userVariables.add(e.name);
        return;
      case 'lock-tables':
        this.tableLocks = true;
        return;
      case 'unlock-tables':
        this.tableLocks = false;
        return;
      case 'create-temporary':
        this.temporaryTables.add(e.name);
        return;
      case 'drop-table':
        this.temporaryTables.delete(e.name);
        return;
      case 'get-lock':
        if (e.name === undefined) this.anyUserLock = true;
        else this.userLocks.add(e.name);
        return;
      case 'release-lock':
        if (e.name !== undefined) this.userLocks.delete(e.name);
        return;
      case 'release-all-locks':
        this.userLocks.clear();
        this.anyUserLock = false;
        return;
      case 'begin':
        // START TRANSACTION releases the locks of LOCK TABLES.
        this.tableLocks = false;
        return;
      case 'sql-prepare':
        this.sqlPrepared.delete(e.name);
        this.sqlPreparedFromVariable.delete(e.name);
        if (e.statement === undefined) this.sqlPreparedFromVariable.add(e.name);
        else this.sqlPrepared.set(e.name, e.statement);
        return;
      case 'sql-deallocate':
        this.sqlPrepared.delete(e.name);
        this.sqlPreparedFromVariable.delete(e.name);
        return;
    }
  }

  onPrepared(statementId: number, sql: string, truncated: boolean, paramCount: number): void {
    this.statements.set(statementId, { statementId, sql, truncated, paramCount, paramTypes: undefined });
  }

  /** An execute that bound types: they are what a re-prepared statement is executed with next. */
  onTypesBound(statementId: number, types: Buffer): void {
    const s = this.statements.get(statementId);
    if (s !== undefined) s.paramTypes = types;
  }

  onClosed(statementId: number): void {
    this.statements.delete(statementId);
    this.cursors.delete(statementId);
  }

  /**
   * COM_RESET_CONNECTION or COM_CHANGE_USER: the server forgot everything the session set,
   * the engine's session_track_* settings included, so what it reports from now on is partial.
   */
  onReset(): void {
    this.tracking = false;
    this.variables.clear();
    this.userVariables.clear();
    this.statements.clear();
    this.sqlPrepared.clear();
    this.sqlPreparedFromVariable.clear();
    this.temporaryTables.clear();
    this.userLocks.clear();
    this.cursors.clear();
    this.anyUserLock = false;
    this.tableLocks = false;
    this.transactionState = '';
    this.transactionCharacteristics = '';
  }

  /** Whether the session could move now, and if not, the first reason in the order. */
  migratability(activity: ReplyActivity): Migratability {
    const reason = this.#blocker(activity);
    return reason === undefined ? MIGRATABLE : { migratable: false, reason, message: NOT_MIGRATABLE_TEXT[reason] };
  }

  #blocker(activity: ReplyActivity): NotMigratableReason | undefined {
    if (activity.loadingData) return 'load_data';
    if (activity.busy) return 'streaming';
    if (!this.tracking) return 'tracking_off';
    if (this.inTransaction) return 'transaction';
    if (this.tableLocks) return 'table_lock';
    if (this.temporaryTables.size > 0) return 'temporary_table';
    if (this.anyUserLock || this.userLocks.size > 0) return 'user_lock';
    if (this.cursors.size > 0) return 'cursor';
    for (const s of this.statements.values()) if (s.truncated) return 'statement_too_long';
    if (this.sqlPreparedFromVariable.size > 0) return 'sql_prepare_from_variable';
    return undefined;
  }
}
