// The engine's view of auditing, kept apart from logging (as in Teleport's lib/srv/db/common
// Audit): the session calls these methods, they build events and hand them to a sink. Building
// an event is cheap (no JSON, no I/O); serialization happens later, a batch at a time.
import { randomUUID } from 'node:crypto';
import { type AuditSession, toAuditError } from './audit-session.js';
import { type AuditValue, DEFAULT_PARAMETER_LIMIT, prepareAuditParameters } from './audit-values.js';
import { type AuditQueryText, DEFAULT_QUERY_LIMIT, prepareAuditQuery } from './bound-text.js';
import { type AuditEventType, auditEventCode } from './event-codes.js';
import type { AuditOutcome } from './event-fields.js';
import type { AuditEvent, AuditEventBase, AuditEventOf } from './event-schemas.js';
import { queryEventJson } from './query-event-json.js';

/** Where events go. `emit` must not block or throw on the hot path; it queues. */
export interface AuditSink {
  /**
   * `canonical`: the event's canonical JSON when the audit wrote it straight from its fields
   * (query events); a sink that writes events stores these bytes instead of serializing again.
   */
  emit(event: AuditEvent, canonical?: string): void;
}

/**
 * Write-ahead of the answer: a sink that writes events to durable storage lets the relay hold
 * a reply until the events its command produced are written. The relay reads `emitted` before
 * and after the work for a chunk; if it moved, the chunk waits for afterWrite().
 */
export interface AuditWriteGate {
  /** Events emitted so far (only grows). */
  readonly emitted: number;
  /** Calls `done` once every event emitted so far is written (at once if they all are). */
  afterWrite(done: () => void): void;
}

type Distribute<T> = T extends unknown ? Omit<T, keyof AuditEventBase | 'code'> : never;
type SimpleCommandType =
  | 'db.session.mysql.statements.send_long_data'
  | 'db.session.mysql.statements.close'
  | 'db.session.mysql.statements.reset'
  | 'db.session.mysql.statements.fetch'
  | 'db.session.mysql.init_db'
  | 'db.session.mysql.create_db'
  | 'db.session.mysql.drop_db'
  | 'db.session.mysql.shut_down'
  | 'db.session.mysql.process_kill'
  | 'db.session.mysql.debug'
  | 'db.session.mysql.refresh'
  | 'db.session.mysql.change_user'
  | 'db.session.user_change'
  | 'db.session.migrate'
  | 'db.session.mysql.reset_connection'
  | 'db.user.create'
  | 'db.user.update'
  | 'db.user.lock'
  | 'db.user.drop'
  | 'engine.drain';
/** The type-specific fields of a command (or database-user) event with no text or parameters to redact. */
export type AuditCommandDetails = Distribute<AuditEventOf<SimpleCommandType>>;

/** A prepared statement's text, redacted and bounded once at prepare time. */
export interface AuditStatement {
  readonly text: AuditQueryText;
}

export interface AuditLocalInfile {
  readonly query: string | Uint8Array;
  readonly fileName: string;
  readonly dataLength: number;
  readonly sha256?: string;
}

/** What command hooks (docs/hooks.md) add to a query's event. */
export interface AuditHookExtras {
  /** Fields a hook added (`hook_fields`). */
  readonly fields?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** The client's text when a hook rewrote it (`original_query`); `query` is the text that ran. */
  readonly originalQuery?: string | undefined;
}

export interface Audit {
  onSessionStart(session: AuditSession, err?: unknown): void;
  onSessionEnd(session: AuditSession, err?: unknown): void;
  onQuery(
    session: AuditSession,
    query: string | Uint8Array,
    outcome: AuditOutcome,
    durationMs: number,
    hooks?: AuditHookExtras,
  ): void;
  /** Redacts and bounds a statement's text; keep the result with the statement. */
  describeStatement(query: string | Uint8Array): AuditStatement;
  onPrepare(
    session: AuditSession,
    statement: AuditStatement,
    statementId?: number,
    outcome?: AuditOutcome,
    durationMs?: number,
  ): void;
  onExecute(
    session: AuditSession,
    statement: AuditStatement,
    statementId: number,
    parameters: readonly AuditValue[],
    outcome: AuditOutcome,
    durationMs: number,
  ): void;
  onBulkExecute(
    session: AuditSession,
    statement: AuditStatement,
    statementId: number,
    rows: readonly (readonly AuditValue[])[],
    outcome: AuditOutcome,
    durationMs: number,
  ): void;
  onLocalInfile(session: AuditSession, infile: AuditLocalInfile, outcome?: AuditOutcome, durationMs?: number): void;
  onCommand(session: AuditSession, details: AuditCommandDetails): void;
  onMalformedPacket(session: AuditSession, payload: Uint8Array, reason: string): void;
}

export interface CreateAuditOptions {
  readonly sink: AuditSink;
  /** Bound on query text in bytes; default 64 KiB. */
  readonly queryLimit?: number;
  /** Bound on each string parameter in bytes; default 4 KiB. */
  readonly parameterLimit?: number;
  /** Bound on the payload kept from a malformed packet; default 1 KiB. */
  readonly payloadLimit?: number;
  /** Clock and uid source, for tests. */
  readonly now?: () => number;
  readonly uuid?: () => string;
}

function failed(outcome: AuditOutcome | undefined): boolean {
  return outcome?.kind === 'error';
}

function roundMs(ms: number): number {
  return Math.max(0, Math.round(ms * 1000) / 1000);
}

export function createAudit(options: CreateAuditOptions): Audit {
  const { sink } = options;
  const queryLimit = options.queryLimit ?? DEFAULT_QUERY_LIMIT;
  const parameterLimit = options.parameterLimit ?? DEFAULT_PARAMETER_LIMIT;
  const payloadLimit = options.payloadLimit ?? 1024;
  const now = options.now ?? Date.now;
  const uuid = options.uuid ?? randomUUID;

  // Under load many events share a millisecond: format each millisecond's time once.
  let lastAt = Number.NaN;
  let lastTime = '';
  const isoTime = (at: number): string => {
    if (at !== lastAt) {
      lastTime = new Date(at).toISOString();
      lastAt = at;
    }
    return lastTime;
  };

  // Events are built as one object literal plus assignments in a fixed order, not with
  // spreads: this runs once per query, and spreads cost several intermediate objects each.
  const head = (s: AuditSession, type: AuditEventType, ok: boolean, at: number = now()): Record<string, unknown> => ({
    uid: uuid(),
    time: isoTime(at),
    event: type,
    code: auditEventCode(type, ok),
    sid: s.id,
    user: s.user,
    roles: s.roles,
    db_service: s.dbService,
    db_user: s.dbUser,
    db_name: s.dbName,
    client_addr: s.clientAddr,
    engine_id: s.engineId,
    proxy_id: s.proxyId,
  });
  const setQuery = (e: Record<string, unknown>, t: AuditQueryText): void => {
    e.query = t.query;
    e.query_length = t.query_length;
    e.query_truncated = t.query_truncated;
  };
  const setResult = (
    e: Record<string, unknown>,
    outcome: AuditOutcome | undefined,
    durationMs: number | undefined,
  ): void => {
    if (outcome !== undefined) e.outcome = outcome;
    if (durationMs !== undefined) e.duration_ms = roundMs(durationMs);
  };
  const emit = (event: Record<string, unknown>) => sink.emit(event as unknown as AuditEvent);

  return {
    onSessionStart(s, err) {
      const e = head(s, 'db.session.start', err === undefined);
      e.success = err === undefined;
      if (s.threadId !== undefined) e.thread_id = s.threadId;
      e.client_attributes = { ...s.clientAttributes };
      if (s.unixPeer !== undefined) e.unix_peer = { ...s.unixPeer };
      if (s.backend !== undefined) e.backend = s.backend;
      if (s.hookFields !== undefined && Object.keys(s.hookFields).length > 0) e.hook_fields = { ...s.hookFields };
      if (err !== undefined) e.error = toAuditError(err);
      emit(e);
    },
    onSessionEnd(s, err) {
      const at = now();
      const e = head(s, 'db.session.end', err === undefined, at);
      if (s.startedAt !== undefined) e.session_duration_ms = Math.max(0, at - s.startedAt);
      if (err !== undefined) e.error = toAuditError(err);
      emit(e);
    },
    onQuery(s, query, outcome, durationMs, hooks) {
      // The most frequent event: its canonical bytes are written from these fields directly.
      const e = head(s, 'db.session.query', !failed(outcome));
      const text = prepareAuditQuery(query, queryLimit);
      setQuery(e, text);
      e.outcome = outcome;
      e.duration_ms = roundMs(durationMs);
      if (hooks?.originalQuery !== undefined || hooks?.fields !== undefined) {
        // A hook's extras are rare: such an event takes the general path.
        if (hooks.originalQuery !== undefined)
          e.original_query = prepareAuditQuery(hooks.originalQuery, queryLimit).query;
        if (hooks.fields !== undefined) e.hook_fields = { ...hooks.fields };
        emit(e);
        return;
      }
      const canonical = queryEventJson(s, {
        uid: e.uid as string,
        time: e.time as string,
        code: e.code as string,
        query: text.query,
        queryLength: text.query_length,
        queryTruncated: text.query_truncated,
        outcome,
        durationMs: e.duration_ms as number,
      });
      sink.emit(e as unknown as AuditEvent, canonical);
    },
    describeStatement(query) {
      return { text: prepareAuditQuery(query, queryLimit) };
    },
    onPrepare(s, statement, statementId, outcome, durationMs) {
      const e = head(s, 'db.session.mysql.statements.prepare', !failed(outcome));
      setQuery(e, statement.text);
      if (statementId !== undefined) e.statement_id = statementId;
      setResult(e, outcome, durationMs);
      emit(e);
    },
    onExecute(s, statement, statementId, parameters, outcome, durationMs) {
      const e = head(s, 'db.session.mysql.statements.execute', !failed(outcome));
      e.statement_id = statementId;
      setQuery(e, statement.text);
      e.parameters = prepareAuditParameters(parameters, statement.text.secretPlaceholders, parameterLimit);
      e.outcome = outcome;
      e.duration_ms = roundMs(durationMs);
      emit(e);
    },
    onBulkExecute(s, statement, statementId, rows, outcome, durationMs) {
      const secret = statement.text.secretPlaceholders;
      const e = head(s, 'db.session.mysql.statements.bulk_execute', !failed(outcome));
      e.statement_id = statementId;
      setQuery(e, statement.text);
      e.parameters = rows.map((row) => prepareAuditParameters(row, secret, parameterLimit));
      e.outcome = outcome;
      e.duration_ms = roundMs(durationMs);
      emit(e);
    },
    onLocalInfile(s, infile, outcome, durationMs) {
      const e = head(s, 'db.session.mysql.local_infile', !failed(outcome));
      setQuery(e, prepareAuditQuery(infile.query, queryLimit));
      e.file_name = infile.fileName.slice(0, 4096);
      e.data_length = infile.dataLength;
      if (infile.sha256 !== undefined) e.sha256 = infile.sha256;
      setResult(e, outcome, durationMs);
      emit(e);
    },
    onCommand(s, details) {
      const outcome = 'outcome' in details ? details.outcome : undefined;
      emit(Object.assign(head(s, details.event, !failed(outcome)), details));
    },
    onMalformedPacket(s, payload, reason) {
      const e = head(s, 'db.session.malformed_packet', false);
      e.reason = reason.slice(0, 4096);
      const kept = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, payloadLimit));
      e.payload = kept.toString('base64');
      e.payload_length = payload.length;
      emit(e);
    },
  };
}
