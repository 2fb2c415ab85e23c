// Turns the commands a session forwards, and the outcomes the response tracker reports for them,
// into audit events. Commands and replies stay in order, so a FIFO of pending records pairs them
// up; a multi-result reply (CALL, multi-statement) folds into one outcome for its command.
import type { Audit, AuditOutcome, AuditSession, AuditStatement, AuditValue } from '@gatehouse/common';
import {
  type ClientCommand,
  type DecodedParam,
  type ErrFields,
  type ResponseOutcome,
  toJsonValue,
} from '@gatehouse/mysql-protocol';

/** What the session must do when a command's reply ends well. */
export type SessionEffect =
  | { readonly kind: 'schema'; readonly schema: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'prepared'; readonly statementId: number; readonly paramCount: number }
  | { readonly kind: 'prepare-failed' };

interface Pending {
  readonly command: ClientCommand['kind'];
  readonly startedAt: number;
  /** Query text (query, USE) or the statement (execute, prepare). */
  readonly text: string;
  readonly statement: AuditStatement | undefined;
  readonly statementId: number;
  readonly params: readonly AuditValue[];
  /** The schema a USE / COM_INIT_DB selects. */
  readonly schema: string | undefined;
  readonly extra: number;
  rows: number;
  sawRows: boolean;
  warnings: number;
  ok: AuditOutcome | undefined;
  error: AuditOutcome | undefined;
  infile: { readonly fileName: string; readonly bytes: number } | undefined;
  prepared: { readonly statementId: number; readonly paramCount: number } | undefined;
}

function toCount(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

function outcomeOf(p: Pending): AuditOutcome {
  if (p.error !== undefined) return p.error;
  if (p.sawRows) return { kind: 'rows', rows: p.rows, warnings: p.warnings };
  return p.ok ?? { kind: 'ok', affected_rows: 0 };
}

function paramValues(params: readonly DecodedParam[] | undefined): AuditValue[] {
  if (params === undefined) return [];
  const out: AuditValue[] = new Array(params.length);
  for (let i = 0; i < params.length; i++) out[i] = toJsonValue(params[i]!.value) as AuditValue;
  return out;
}

/**
 * Audit switches shared by the engine and its sessions. Mutable on purpose: a SIGHUP reload
 * flips `queryEvents` for live sessions too, and the hot path reads one property per command.
 */
export interface AuditSwitches {
  /** config audit.query_events: db.session.query and db.session.mysql.statements.* events. */
  queryEvents: boolean;
}

const ALL_EVENTS: AuditSwitches = Object.freeze({ queryEvents: true });

export class CommandAudit {
  readonly #audit: Audit;
  readonly #session: AuditSession;
  readonly #statements = new Map<number, AuditStatement>();
  readonly #pending: Pending[] = [];
  #head = 0;
  readonly #now: () => number;
  readonly #switches: AuditSwitches;

  constructor(
    audit: Audit,
    session: AuditSession,
    now: () => number = performance.now.bind(performance),
    switches: AuditSwitches = ALL_EVENTS,
  ) {
    this.#audit = audit;
    this.#session = session;
    this.#now = now;
    this.#switches = switches;
  }

  /** Whether query and statement events are emitted now; the relay skips decoding parameters when not. */
  get queryEvents(): boolean {
    return this.#switches.queryEvents;
  }

  /** A command went to the server; its outcome will follow through onOutcome. */
  onForwarded(command: ClientCommand, schema?: string): void {
    const events = this.#switches.queryEvents;
    let text = '';
    let statement: AuditStatement | undefined;
    let statementId = 0;
    let params: readonly AuditValue[] = [];
    let extra = 0;
    switch (command.kind) {
      case 'query':
      case 'stmt_prepare':
        text = command.sql;
        break;
      case 'stmt_execute':
        statementId = command.statementId;
        if (events) {
          statement = this.#statements.get(statementId);
          params = paramValues(command.params);
        }
        break;
      case 'stmt_fetch':
        statementId = command.statementId;
        break;
      case 'stmt_reset':
        statementId = command.statementId;
        break;
      case 'stmt_close':
        statementId = command.statementId;
        if (events) this.#audit.onCommand(this.#session, { event: 'db.session.mysql.statements.close', statement_id: statementId });
        this.#statements.delete(statementId);
        break;
      case 'stmt_send_long_data':
        if (!events) break;
        this.#audit.onCommand(this.#session, {
          event: 'db.session.mysql.statements.send_long_data',
          statement_id: command.statementId,
          parameter_id: command.paramId,
          data_length: command.dataLength,
        });
        break;
      case 'process_kill':
        extra = command.connectionId;
        break;
      case 'refresh':
        extra = command.subCommand;
        break;
      case 'init_db':
      case 'create_db':
      case 'drop_db':
        text = command.schema;
        break;
    }
    this.#pending.push({
      command: command.kind,
      startedAt: this.#now(),
      text,
      statement,
      statementId,
      params,
      schema,
      extra,
      rows: 0,
      sawRows: false,
      warnings: 0,
      ok: undefined,
      error: undefined,
      infile: undefined,
      prepared: undefined,
    });
  }

  /** A command the engine refused itself: recorded with the ERR it answered. */
  onDenied(command: ClientCommand, err: ErrFields): void {
    const outcome: AuditOutcome = {
      kind: 'error',
      errno: err.errno,
      sqlstate: err.sqlState ?? 'HY000',
      message: err.message.slice(0, 4096),
    };
    const s = this.#session;
    switch (command.kind) {
      case 'query':
        this.#audit.onQuery(s, command.sql, outcome, 0);
        return;
      case 'init_db':
        this.#audit.onCommand(s, { event: 'db.session.mysql.init_db', schema_name: command.schema, outcome });
        return;
      case 'change_user':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.change_user',
          new_db_user: command.user,
          new_db_name: command.schema,
          outcome,
        });
        return;
      case 'shutdown':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.shut_down',
          ...(command.level !== undefined ? { shutdown_level: command.level } : {}),
          outcome,
        });
        return;
      case 'process_kill':
        this.#audit.onCommand(s, { event: 'db.session.mysql.process_kill', process_id: command.connectionId, outcome });
        return;
      default:
        this.#audit.onMalformedPacket(s, command.bytes.subarray(0, 64), `refused ${command.kind}: ${err.message}`);
    }
  }

  /** Statements are forgotten on COM_RESET_CONNECTION. */
  clearStatements(): void {
    this.#statements.clear();
  }

  /** A tracker outcome; returns what the session must apply when the reply ended well. */
  onOutcome(outcome: ResponseOutcome): SessionEffect | undefined {
    const p = this.#pending[this.#head];
    if (p === undefined) return undefined; // an ERR with no command pending (e.g. the server closing)
    switch (outcome.kind) {
      case 'ok':
        p.ok = {
          kind: 'ok',
          affected_rows: toCount(outcome.affectedRows),
          last_insert_id: toCount(outcome.lastInsertId),
          warnings: outcome.warnings,
        };
        break;
      case 'err':
        p.error = {
          kind: 'error',
          errno: outcome.errno,
          sqlstate: outcome.sqlState || 'HY000',
          message: outcome.message.slice(0, 4096),
        };
        break;
      case 'resultset':
        p.rows += outcome.rowCount;
        p.sawRows = true;
        p.warnings = outcome.warnings;
        break;
      case 'fetch':
        p.rows += outcome.rowCount;
        p.sawRows = true;
        break;
      case 'prepared':
        p.prepared = { statementId: outcome.statementId, paramCount: outcome.paramCount };
        break;
      case 'local-infile':
        p.infile = { fileName: outcome.filename, bytes: outcome.bytes };
        break;
      default:
        break;
    }
    if (!outcome.done) return undefined;
    this.#pending[this.#head] = undefined as unknown as Pending;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#pending.length) {
      this.#pending.splice(0, this.#head);
      this.#head = 0;
    }
    return this.#finish(p);
  }

  #finish(p: Pending): SessionEffect | undefined {
    return this.#switches.queryEvents ? this.#finishAll(p) : this.#finishQuietly(p);
  }

  #finishAll(p: Pending): SessionEffect | undefined {
    const s = this.#session;
    // Rounded to the microsecond here too: the command events carry it as given.
    const duration = Math.round((this.#now() - p.startedAt) * 1000) / 1000;
    const outcome = outcomeOf(p);
    const ok = p.error === undefined;
    switch (p.command) {
      case 'query':
        if (p.infile !== undefined) {
          this.#audit.onLocalInfile(
            s,
            { query: p.text, fileName: p.infile.fileName, dataLength: p.infile.bytes },
            outcome,
            duration,
          );
        }
        this.#audit.onQuery(s, p.text, outcome, duration);
        return ok && p.schema !== undefined ? { kind: 'schema', schema: p.schema } : undefined;
      case 'init_db':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.init_db',
          schema_name: p.text,
          outcome,
          duration_ms: duration,
        });
        return ok ? { kind: 'schema', schema: p.text } : undefined;
      case 'create_db':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.create_db',
          schema_name: p.text,
          outcome,
          duration_ms: duration,
        });
        return undefined;
      case 'drop_db':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.drop_db',
          schema_name: p.text,
          outcome,
          duration_ms: duration,
        });
        return undefined;
      case 'stmt_prepare': {
        const statement = this.#audit.describeStatement(p.text);
        if (p.prepared !== undefined) this.#statements.set(p.prepared.statementId, statement);
        this.#audit.onPrepare(s, statement, p.prepared?.statementId, outcome, duration);
        return p.prepared !== undefined ? { kind: 'prepared', ...p.prepared } : { kind: 'prepare-failed' };
      }
      case 'stmt_execute':
        this.#audit.onExecute(
          s,
          p.statement ?? this.#audit.describeStatement(''),
          p.statementId,
          p.params,
          outcome,
          duration,
        );
        return undefined;
      case 'stmt_fetch':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.statements.fetch',
          statement_id: p.statementId,
          rows_count: p.rows,
          outcome,
          duration_ms: duration,
        });
        return undefined;
      case 'stmt_reset':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.statements.reset',
          statement_id: p.statementId,
          outcome,
          duration_ms: duration,
        });
        return undefined;
      case 'process_kill':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.process_kill',
          process_id: p.extra,
          outcome,
          duration_ms: duration,
        });
        return undefined;
      case 'debug':
        this.#audit.onCommand(s, { event: 'db.session.mysql.debug', outcome, duration_ms: duration });
        return undefined;
      case 'refresh':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.refresh',
          subcommand: `0x${p.extra.toString(16)}`,
          outcome,
          duration_ms: duration,
        });
        return undefined;
      case 'reset_connection':
        return ok ? { kind: 'reset' } : undefined;
      default:
        return undefined;
    }
  }

  /**
   * query_events off: no query or statement events, so no redaction, no event objects and
   * nothing for the sink. What the session needs (schema changes, prepared ids) still comes
   * back, and the rarer commands that change state are still audited.
   */
  #finishQuietly(p: Pending): SessionEffect | undefined {
    const ok = p.error === undefined;
    switch (p.command) {
      case 'query':
        if (p.infile !== undefined) {
          this.#audit.onLocalInfile(
            this.#session,
            { query: p.text, fileName: p.infile.fileName, dataLength: p.infile.bytes },
            outcomeOf(p),
            this.#now() - p.startedAt,
          );
        }
        return ok && p.schema !== undefined ? { kind: 'schema', schema: p.schema } : undefined;
      case 'stmt_prepare':
        // Forget any text an earlier statement with this id had: it would be wrong if the
        // events are turned back on.
        if (p.prepared !== undefined) this.#statements.delete(p.prepared.statementId);
        return p.prepared !== undefined ? { kind: 'prepared', ...p.prepared } : { kind: 'prepare-failed' };
      case 'stmt_execute':
      case 'stmt_fetch':
      case 'stmt_reset':
        return undefined;
      default:
        return this.#finishAll(p);
    }
  }
}
