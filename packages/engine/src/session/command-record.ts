// One record per client command: the relay parses a command once and builds this record from
// it. The record is the response tracker's queue entry (it carries the command byte and the
// cursor flag the tracker reads), it gathers the reply's outcome as the tracker reports it, and
// once the reply is done the audit consumes it. There is no other queue of commands and no
// other map of statements: the statement a command names is a reference into the relay's one
// PreparedStatementRegistry, taken when the command is sent, so a COM_STMT_CLOSE that follows
// it cannot take the text away from an execute still in flight.
import type { AuditHookExtras, AuditOutcome, AuditStatement, AuditValue } from '@gatehouse/common';
import type {
  ClientCommand,
  DecodedParam,
  ErrFields,
  PreparedStatementState,
  ResponseOutcome,
  TrackedCommand,
} from '@gatehouse/mysql-protocol';
import { toJsonValue } from '@gatehouse/mysql-protocol';

/** A prepared statement as the relay's registry keeps it: its note is the audit's text. */
export type StatementState = PreparedStatementState<AuditStatement>;

/**
 * A command the engine refused and answered itself. Its record keeps its place in the queue
 * (`answered`: the tracker expects no server reply), so its audit event and its ERR come when
 * the replies before it have ended, in command order.
 */
export interface Denial {
  readonly err: ErrFields;
  /** The framed ERR packet the client gets. */
  readonly packet: Buffer;
  /** The command, as the audit describes it (its bytes a copy: the reader's buffer moves on). */
  readonly command: ClientCommand;
  /** What a command hook added (its fields, the text before a rewrite). */
  readonly hooks: AuditHookExtras | undefined;
}

export interface CommandRecord extends TrackedCommand {
  readonly answered: boolean;
  readonly denial: Denial | undefined;
  readonly kind: ClientCommand['kind'];
  readonly startedAt: number;
  /** Query text (query, prepare), or the schema (init_db, create_db, drop_db). */
  readonly text: string;
  /** The statement id the command names (0 when none). */
  readonly statementId: number;
  /** execute / fetch / reset: the statement as the registry held it when the command was sent. */
  readonly statement: StatementState | undefined;
  /** execute: the decoded parameters (only while query events are on). */
  readonly params: readonly AuditValue[];
  /** The schema a SQL USE selects, as the policy read it. */
  readonly schema: string | undefined;
  /** process_kill: the id; refresh: the sub-command; send_long_data: the parameter id. */
  readonly extra: number;
  /** send_long_data: the bytes sent. */
  readonly dataLength: number;
  rows: number;
  sawRows: boolean;
  warnings: number;
  ok: AuditOutcome | undefined;
  error: AuditOutcome | undefined;
  infile: { readonly fileName: string; readonly bytes: number } | undefined;
  /** prepare: what the server answered, then the registry's state for it. */
  preparedId: number;
  paramCount: number;
  prepared: StatementState | undefined;
  /** What command hooks added: the client's text when one rewrote it, and audit fields. */
  hooks: AuditHookExtras | undefined;
}

// CURSOR_TYPE_READ_ONLY | CURSOR_TYPE_FOR_UPDATE | CURSOR_TYPE_SCROLLABLE (as readTrackedCommand).
const CURSOR_FLAGS = 0x07;

function paramValues(params: readonly DecodedParam[] | undefined): AuditValue[] {
  if (params === undefined) return [];
  const out: AuditValue[] = new Array(params.length);
  for (let i = 0; i < params.length; i++) out[i] = toJsonValue(params[i]!.value) as AuditValue;
  return out;
}

/**
 * The record of a command about to be forwarded, or of one refused (`denial`). `lookup`
 * resolves a statement id in the relay's registry; `withParams` says whether the execute's
 * parameters are kept for the audit.
 */
export function createCommandRecord(
  command: ClientCommand,
  schema: string | undefined,
  startedAt: number,
  lookup: (statementId: number) => StatementState | undefined,
  withParams: boolean,
  denial?: Denial,
): CommandRecord {
  let text = '';
  let statementId = 0;
  let statement: StatementState | undefined;
  let params: readonly AuditValue[] = [];
  let cursor = false;
  let extra = 0;
  let dataLength = 0;
  switch (command.kind) {
    case 'query':
    case 'stmt_prepare':
      text = command.sql;
      break;
    case 'stmt_execute':
      statementId = command.statementId;
      statement = lookup(statementId);
      cursor = (command.flags & CURSOR_FLAGS) !== 0;
      if (withParams) params = paramValues(command.params);
      break;
    case 'stmt_fetch':
    case 'stmt_reset':
    case 'stmt_close':
    case 'stmt_bulk_execute':
      statementId = command.statementId;
      statement = lookup(statementId);
      break;
    case 'stmt_send_long_data':
      statementId = command.statementId;
      extra = command.paramId;
      dataLength = command.dataLength;
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
  return {
    command: command.bytes[0]!,
    cursor,
    // Every record has the same fields, denied or not: one shape on the hot path.
    answered: denial !== undefined,
    denial,
    kind: command.kind,
    startedAt,
    text,
    statementId,
    statement,
    params,
    schema,
    extra,
    dataLength,
    rows: 0,
    sawRows: false,
    warnings: 0,
    ok: undefined,
    error: undefined,
    infile: undefined,
    preparedId: -1,
    paramCount: 0,
    prepared: undefined,
    hooks: undefined,
  };
}

/** What a refused command's record carries: the ERR it answered, with the command kept safe. */
export function createDenial(command: ClientCommand, err: ErrFields, packet: Buffer, hooks?: AuditHookExtras): Denial {
  // The audit keeps at most the first 64 bytes of a refused command it cannot describe.
  return { err, packet, command: { ...command, bytes: Buffer.from(command.bytes.subarray(0, 64)) }, hooks };
}

function toCount(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Folds one tracker outcome into its command's record (a multi-result reply gives several). */
export function absorbOutcome(r: CommandRecord, outcome: ResponseOutcome): void {
  switch (outcome.kind) {
    case 'ok':
      r.ok = {
        kind: 'ok',
        affected_rows: toCount(outcome.affectedRows),
        last_insert_id: toCount(outcome.lastInsertId),
        warnings: outcome.warnings,
      };
      return;
    case 'err':
      r.error = {
        kind: 'error',
        errno: outcome.errno,
        sqlstate: outcome.sqlState || 'HY000',
        message: outcome.message.slice(0, 4096),
      };
      return;
    case 'resultset':
      r.rows += outcome.rowCount;
      r.sawRows = true;
      r.warnings = outcome.warnings;
      return;
    case 'fetch':
      r.rows += outcome.rowCount;
      r.sawRows = true;
      return;
    case 'prepared':
      r.preparedId = outcome.statementId;
      r.paramCount = outcome.paramCount;
      return;
    case 'local-infile':
      r.infile = { fileName: outcome.filename, bytes: outcome.bytes };
      return;
    default:
      return;
  }
}

/** How the command ended, as an audit outcome. */
export function outcomeOf(r: CommandRecord): AuditOutcome {
  if (r.error !== undefined) return r.error;
  if (r.sawRows) return { kind: 'rows', rows: r.rows, warnings: r.warnings };
  return r.ok ?? { kind: 'ok', affected_rows: 0 };
}
