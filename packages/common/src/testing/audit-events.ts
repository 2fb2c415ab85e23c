// Valid audit events of every type, for tests of the schemas, the store and gatectl.
import { randomUUID } from 'node:crypto';
import { type AuditEventType, auditEventCode } from '../audit/event-codes.js';
import type { AuditEvent } from '../audit/event-schemas.js';

const DETAILS: { readonly [T in AuditEventType]: Record<string, unknown> } = {
  'db.session.start': {
    success: true,
    thread_id: 42,
    client_attributes: { _program_name: 'mariadb', _client_version: '11.4.2' },
  },
  'db.session.end': { session_duration_ms: 1250 },
  'db.session.query': {
    query: 'SELECT 1',
    query_length: 8,
    query_truncated: false,
    outcome: { kind: 'rows', rows: 1 },
    duration_ms: 0.42,
  },
  'db.session.malformed_packet': { reason: 'packet shorter than its header', payload: 'AwA=', payload_length: 2 },
  'db.session.terminate': { terminated_by: 'auditor', reason: 'left open overnight' },
  'db.session.mysql.statements.prepare': {
    query: 'SELECT ?',
    query_length: 8,
    query_truncated: false,
    statement_id: 1,
  },
  'db.session.mysql.statements.execute': {
    statement_id: 1,
    query: 'SELECT ?',
    query_length: 8,
    query_truncated: false,
    parameters: [1, 'two', null, { date: '2024-01-02' }],
    outcome: { kind: 'rows', rows: 1 },
    duration_ms: 1.5,
  },
  'db.session.mysql.statements.send_long_data': { statement_id: 1, parameter_id: 0, data_length: 65536 },
  'db.session.mysql.statements.close': { statement_id: 1 },
  'db.session.mysql.statements.reset': { statement_id: 1, outcome: { kind: 'ok', affected_rows: 0 } },
  'db.session.mysql.statements.fetch': { statement_id: 1, rows_count: 100 },
  'db.session.mysql.statements.bulk_execute': {
    statement_id: 1,
    query: 'INSERT INTO t VALUES (?, ?)',
    query_length: 27,
    query_truncated: false,
    parameters: [
      [1, 'a'],
      [2, 'b'],
    ],
    outcome: { kind: 'ok', affected_rows: 2 },
    duration_ms: 3,
  },
  'db.session.mysql.init_db': { schema_name: 'app' },
  'db.session.mysql.create_db': { schema_name: 'app2' },
  'db.session.mysql.drop_db': { schema_name: 'app2' },
  'db.session.mysql.shut_down': {
    shutdown_level: 0,
    outcome: { kind: 'error', errno: 1227, sqlstate: '42000', message: 'denied' },
  },
  'db.session.mysql.process_kill': { process_id: 17 },
  'db.session.mysql.debug': {},
  'db.session.mysql.refresh': { subcommand: 'grant' },
  'db.session.mysql.change_user': {
    old_db_user: 'app_rw',
    new_db_user: 'root',
    outcome: { kind: 'error', errno: 1045, sqlstate: '28000', message: "role 'dev' does not allow db user 'root'" },
  },
  'db.session.user_change': { old_db_user: 'app_rw', new_db_user: 'app_ro', new_db_name: 'app' },
  'db.session.migrate': {
    from_engine_id: 'engine-a',
    to_engine_id: 'engine-b',
    from_thread_id: 12,
    to_thread_id: 34,
    reason: 'engine drain: SIGTERM',
  },
  'db.session.mysql.reset_connection': { outcome: { kind: 'ok', affected_rows: 0 } },
  'db.session.mysql.local_infile': {
    query: "LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t",
    query_length: 42,
    query_truncated: false,
    file_name: 'x.csv',
    data_length: 10,
  },
  'db.user.create': { db_roles: ['acc_reader'] },
  'db.user.update': { db_roles: ['acc_reader', 'acc_writer'], revoked_roles: ['old_role'], unlocked: true },
  'db.user.lock': { db_roles: ['acc_reader'], reason: 'session_end' },
  'db.user.drop': { db_roles: ['acc_reader'], reason: 'sweep' },
  'engine.drain': {
    request_id: '6c1d9a52-0000-4000-8000-000000000002',
    requested_at: '2026-01-10T12:00:00.000Z',
    reason: 'kernel upgrade',
    databases: ['orders'],
    already_draining: false,
  },
};

/** A valid event of `type`; `overrides` replace any field (they are not validated). */
export function makeAuditEvent(type: AuditEventType, overrides: Record<string, unknown> = {}): AuditEvent {
  const details = DETAILS[type];
  const outcome = details.outcome as { kind?: string } | undefined;
  return {
    uid: randomUUID(),
    time: new Date().toISOString(),
    event: type,
    code: auditEventCode(type, type !== 'db.session.malformed_packet' && outcome?.kind !== 'error'),
    sid: 'b7f3c1d2-0000-4000-8000-000000000001',
    user: 'alice',
    roles: ['dev'],
    db_service: 'local-mariadb',
    db_user: 'app_ro',
    db_name: 'app',
    client_addr: '127.0.0.1:51234',
    engine_id: 'engine-1',
    proxy_id: 'proxy-1',
    ...details,
    ...overrides,
  } as AuditEvent;
}
