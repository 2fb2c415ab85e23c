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

/** Where events go. `emit` must not block or throw on the hot path; it queues. */
export interface AuditSink {
  emit(event: AuditEvent): void;
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
  | 'db.session.mysql.change_user';
/** The type-specific fields of a command event with no text or parameters to redact. */
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

export interface Audit {
  onSessionStart(session: AuditSession, err?: unknown): void;
  onSessionEnd(session: AuditSession, err?: unknown): void;
  onQuery(session: AuditSession, query: string | Uint8Array, outcome: AuditOutcome, durationMs: number): void;
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

  const base = <T extends AuditEventType>(s: AuditSession, type: T, ok: boolean, at: number = now()) => ({
    uid: uuid(),
    time: new Date(at).toISOString(),
    event: type,
    code: auditEventCode(type, ok),
    sid: s.id,
    user: s.user,
    roles: [...s.roles],
    db_service: s.dbService,
    db_user: s.dbUser,
    db_name: s.dbName,
    client_addr: s.clientAddr,
    engine_id: s.engineId,
    proxy_id: s.proxyId,
  });
  const result = (outcome: AuditOutcome | undefined, durationMs: number | undefined) => ({
    ...(outcome ? { outcome } : {}),
    ...(durationMs !== undefined ? { duration_ms: roundMs(durationMs) } : {}),
  });
  const queryFields = (t: AuditQueryText) => ({
    query: t.query,
    query_length: t.query_length,
    query_truncated: t.query_truncated,
  });
  const emit = (event: unknown) => sink.emit(event as AuditEvent);

  return {
    onSessionStart(s, err) {
      emit({
        ...base(s, 'db.session.start', err === undefined),
        success: err === undefined,
        ...(s.threadId !== undefined ? { thread_id: s.threadId } : {}),
        client_attributes: { ...s.clientAttributes },
        ...(err !== undefined ? { error: toAuditError(err) } : {}),
      });
    },
    onSessionEnd(s, err) {
      const at = now();
      emit({
        ...base(s, 'db.session.end', err === undefined, at),
        ...(s.startedAt !== undefined ? { session_duration_ms: Math.max(0, at - s.startedAt) } : {}),
        ...(err !== undefined ? { error: toAuditError(err) } : {}),
      });
    },
    onQuery(s, query, outcome, durationMs) {
      const text = prepareAuditQuery(query, queryLimit);
      emit({
        ...base(s, 'db.session.query', !failed(outcome)),
        ...queryFields(text),
        outcome,
        duration_ms: roundMs(durationMs),
      });
    },
    describeStatement(query) {
      return { text: prepareAuditQuery(query, queryLimit) };
    },
    onPrepare(s, statement, statementId, outcome, durationMs) {
      emit({
        ...base(s, 'db.session.mysql.statements.prepare', !failed(outcome)),
        ...queryFields(statement.text),
        ...(statementId !== undefined ? { statement_id: statementId } : {}),
        ...result(outcome, durationMs),
      });
    },
    onExecute(s, statement, statementId, parameters, outcome, durationMs) {
      emit({
        ...base(s, 'db.session.mysql.statements.execute', !failed(outcome)),
        statement_id: statementId,
        ...queryFields(statement.text),
        parameters: prepareAuditParameters(parameters, statement.text.secretPlaceholders, parameterLimit),
        outcome,
        duration_ms: roundMs(durationMs),
      });
    },
    onBulkExecute(s, statement, statementId, rows, outcome, durationMs) {
      const secret = statement.text.secretPlaceholders;
      emit({
        ...base(s, 'db.session.mysql.statements.bulk_execute', !failed(outcome)),
        statement_id: statementId,
        ...queryFields(statement.text),
        parameters: rows.map((row) => prepareAuditParameters(row, secret, parameterLimit)),
        outcome,
        duration_ms: roundMs(durationMs),
      });
    },
    onLocalInfile(s, infile, outcome, durationMs) {
      emit({
        ...base(s, 'db.session.mysql.local_infile', !failed(outcome)),
        ...queryFields(prepareAuditQuery(infile.query, queryLimit)),
        file_name: infile.fileName.slice(0, 4096),
        data_length: infile.dataLength,
        ...(infile.sha256 !== undefined ? { sha256: infile.sha256 } : {}),
        ...result(outcome, durationMs),
      });
    },
    onCommand(s, details) {
      const outcome = 'outcome' in details ? details.outcome : undefined;
      emit({ ...base(s, details.event, !failed(outcome)), ...details });
    },
    onMalformedPacket(s, payload, reason) {
      emit({
        ...base(s, 'db.session.malformed_packet', false),
        reason: reason.slice(0, 4096),
        payload: Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, payloadLimit)).toString(
          'base64',
        ),
        payload_length: payload.length,
      });
    },
  };
}
