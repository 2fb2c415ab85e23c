// The audit's side of the command phase: a sink that consumes each command's finished record
// (command-record.ts) and emits its event, and records the commands the engine denied. It
// returns nothing: what a reply changes in the session (the schema, prepared statements) is the
// relay's to apply.
import type { Audit, AuditHookExtras, AuditOutcome, AuditSession } from '@gatehouse/common';
import type { ClientCommand, ErrFields } from '@gatehouse/mysql-protocol';
import { type CommandRecord, outcomeOf } from './command-record.js';

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

  /** The clock the records' start times come from, so durations use the same one. */
  now(): number {
    return this.#now();
  }

  /** A command the engine refused itself: recorded with the ERR it answered (and what hooks added). */
  onDenied(command: ClientCommand, err: ErrFields, hooks?: AuditHookExtras): void {
    const outcome: AuditOutcome = {
      kind: 'error',
      errno: err.errno,
      sqlstate: err.sqlState ?? 'HY000',
      message: err.message.slice(0, 4096),
    };
    const s = this.#session;
    switch (command.kind) {
      case 'query':
        this.#audit.onQuery(s, command.sql, outcome, 0, hooks);
        return;
      case 'init_db':
        this.#audit.onCommand(s, { event: 'db.session.mysql.init_db', schema_name: command.schema, outcome });
        return;
      case 'change_user':
        this.onUserChange(s.dbUser, command.user, command.schema, outcome);
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

  /**
   * COM_CHANGE_USER, which the engine answers itself (change-user.ts): call it before the
   * session record moves to the new db user.
   */
  onUserChange(
    oldDbUser: string,
    newDbUser: string,
    newDbName: string,
    outcome: AuditOutcome,
    durationMs?: number,
  ): void {
    // A change carried out is the session's event (DESIGN: db.session.user_change); a refused
    // one stays the command's, as Teleport names it.
    this.#audit.onCommand(this.#session, {
      event: outcome.kind === 'error' ? 'db.session.mysql.change_user' : 'db.session.user_change',
      old_db_user: oldDbUser,
      new_db_user: newDbUser,
      new_db_name: newDbName,
      outcome,
      ...(durationMs === undefined ? {} : { duration_ms: durationMs }),
    });
  }

  /** A command's reply is over (or it gets none): its record becomes its event. */
  onFinished(record: CommandRecord): void {
    if (record.denial !== undefined) {
      this.onDenied(record.denial.command, record.denial.err, record.denial.hooks);
      return;
    }
    if (this.#switches.queryEvents) this.#finishAll(record);
    else this.#finishQuietly(record);
  }

  #finishAll(p: CommandRecord): void {
    const s = this.#session;
    // Rounded to the microsecond here too: the command events carry it as given.
    const duration = Math.round((this.#now() - p.startedAt) * 1000) / 1000;
    const outcome = outcomeOf(p);
    switch (p.kind) {
      case 'query':
        if (p.infile !== undefined) {
          this.#audit.onLocalInfile(
            s,
            { query: p.text, fileName: p.infile.fileName, dataLength: p.infile.bytes },
            outcome,
            duration,
          );
        }
        this.#audit.onQuery(s, p.text, outcome, duration, p.hooks);
        return;
      case 'init_db':
      case 'create_db':
      case 'drop_db':
        this.#audit.onCommand(s, {
          event: `db.session.mysql.${p.kind}`,
          schema_name: p.text,
          outcome,
          duration_ms: duration,
        });
        return;
      case 'stmt_prepare': {
        const statement = this.#audit.describeStatement(p.text);
        // Kept with the statement in the relay's registry, for its executes.
        if (p.prepared !== undefined) p.prepared.note = statement;
        this.#audit.onPrepare(s, statement, p.prepared?.statementId, outcome, duration);
        return;
      }
      case 'stmt_execute':
        this.#audit.onExecute(
          s,
          p.statement?.note ?? this.#audit.describeStatement(''),
          p.statementId,
          p.params,
          outcome,
          duration,
        );
        return;
      case 'stmt_fetch':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.statements.fetch',
          statement_id: p.statementId,
          rows_count: p.rows,
          outcome,
          duration_ms: duration,
        });
        return;
      case 'stmt_reset':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.statements.reset',
          statement_id: p.statementId,
          outcome,
          duration_ms: duration,
        });
        return;
      case 'stmt_close':
        this.#audit.onCommand(s, { event: 'db.session.mysql.statements.close', statement_id: p.statementId });
        return;
      case 'stmt_send_long_data':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.statements.send_long_data',
          statement_id: p.statementId,
          parameter_id: p.extra,
          data_length: p.dataLength,
        });
        return;
      case 'process_kill':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.process_kill',
          process_id: p.extra,
          outcome,
          duration_ms: duration,
        });
        return;
      case 'debug':
        this.#audit.onCommand(s, { event: 'db.session.mysql.debug', outcome, duration_ms: duration });
        return;
      case 'reset_connection':
        this.#audit.onCommand(s, { event: 'db.session.mysql.reset_connection', outcome, duration_ms: duration });
        return;
      case 'refresh':
        this.#audit.onCommand(s, {
          event: 'db.session.mysql.refresh',
          subcommand: `0x${p.extra.toString(16)}`,
          outcome,
          duration_ms: duration,
        });
        return;
      default:
        return;
    }
  }

  /**
   * query_events off: no query or statement events, so no redaction, no event objects and
   * nothing for the sink. The rarer commands that change state are still audited.
   */
  #finishQuietly(p: CommandRecord): void {
    switch (p.kind) {
      case 'query':
        if (p.infile !== undefined) {
          this.#audit.onLocalInfile(
            this.#session,
            { query: p.text, fileName: p.infile.fileName, dataLength: p.infile.bytes },
            outcomeOf(p),
            this.#now() - p.startedAt,
          );
        }
        return;
      // A statement prepared now keeps no text (its state is new, so no older text lingers).
      case 'stmt_prepare':
      case 'stmt_execute':
      case 'stmt_fetch':
      case 'stmt_reset':
      case 'stmt_close':
      case 'stmt_send_long_data':
        return;
      default:
        this.#finishAll(p);
    }
  }
}
