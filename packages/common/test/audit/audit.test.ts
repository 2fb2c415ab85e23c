import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeAuditBatch } from '../../src/audit/index.js';
import {
  type AuditEvent,
  type AuditSession,
  createAudit,
  createBatchingSink,
  GatehouseError,
  parseAuditEvent,
} from '../../src/index.js';

function session(): AuditSession {
  return {
    id: 'sess-1',
    user: 'alice',
    roles: ['dev', 'ops'],
    dbService: 'local-mariadb',
    dbUser: 'app_ro',
    dbName: 'app',
    clientAddr: '203.0.113.9:50123',
    engineId: 'engine-a',
    proxyId: 'proxy-a',
    threadId: 77,
    clientAttributes: { _program_name: 'mysql', _client_version: '8.4.0' },
    startedAt: 1_000,
  };
}

function collect() {
  const events: AuditEvent[] = [];
  let t = 5_000;
  let n = 0;
  const audit = createAudit({
    sink: { emit: (e) => events.push(e) },
    now: () => t++,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    queryLimit: 64,
  });
  return { audit, events };
}

test('every Audit method emits an event that passes the strict schema', () => {
  const { audit, events } = collect();
  const s = session();
  audit.onSessionStart(s);
  audit.onSessionStart(
    s,
    Object.assign(new Error("role 'dev' does not allow db user 'root'"), { errno: 1045, sqlstate: '28000' }),
  );
  audit.onQuery(s, 'SELECT 1', { kind: 'rows', rows: 1 }, 0.1234567);
  audit.onQuery(s, Buffer.from('SELEC'), { kind: 'error', errno: 1064, sqlstate: '42000', message: 'syntax' }, 1);
  const stmt = audit.describeStatement('CREATE USER ? IDENTIFIED BY ?');
  audit.onPrepare(s, stmt, 3, { kind: 'ok', affected_rows: 0 }, 0.5);
  audit.onExecute(s, stmt, 3, ['bob', 'hunter2'], { kind: 'ok', affected_rows: 0 }, 2);
  audit.onBulkExecute(
    s,
    stmt,
    3,
    [
      ['a', 'pw1'],
      ['b', 'pw2'],
    ],
    { kind: 'ok', affected_rows: 2 },
    2,
  );
  audit.onLocalInfile(s, { query: "LOAD DATA LOCAL INFILE 'a.csv' INTO TABLE t", fileName: 'a.csv', dataLength: 12 });
  audit.onCommand(s, {
    event: 'db.session.mysql.init_db',
    schema_name: 'secret_db',
    outcome: { kind: 'error', errno: 1044, message: 'denied' },
  });
  audit.onCommand(s, { event: 'db.session.mysql.statements.close', statement_id: 3 });
  audit.onCommand(s, { event: 'db.session.mysql.change_user', new_db_user: 'root' });
  audit.onMalformedPacket(s, Buffer.alloc(5000, 1), 'length past the end');
  audit.onSessionEnd(s, new GatehouseError('GH_ERR_INTERNAL', 'locked'));

  for (const e of events) assert.deepEqual(parseAuditEvent(JSON.parse(JSON.stringify(e))), e);
  const byType = (t: string) => events.filter((e) => e.event === t);
  const [ok, denied] = byType('db.session.start') as Array<AuditEvent & { success: boolean; error?: unknown }>;
  assert.equal(ok!.code, 'GDB00I');
  assert.equal(denied!.code, 'GDB00W');
  assert.deepEqual(denied!.error, {
    message: "role 'dev' does not allow db user 'root'",
    errno: 1045,
    sqlstate: '28000',
  });
  assert.deepEqual(
    byType('db.session.query').map((e) => e.code),
    ['GDB02I', 'GDB02W'],
  );
  const execute = byType('db.session.mysql.statements.execute')[0] as AuditEvent & { parameters: unknown[] };
  assert.deepEqual(execute.parameters, ['bob', '***']);
  const bulk = byType('db.session.mysql.statements.bulk_execute')[0] as AuditEvent & { parameters: unknown[] };
  assert.deepEqual(bulk.parameters, [
    ['a', '***'],
    ['b', '***'],
  ]);
  assert.equal(byType('db.session.mysql.init_db')[0]!.code, 'GMY07W');
  const malformed = byType('db.session.malformed_packet')[0] as AuditEvent & {
    payload: string;
    payload_length: number;
  };
  assert.equal(Buffer.from(malformed.payload, 'base64').length, 1024);
  assert.equal(malformed.payload_length, 5000);
  const end = byType('db.session.end')[0] as AuditEvent & { session_duration_ms: number; error: { code: string } };
  assert.equal(end.code, 'GDB01W');
  assert.equal(end.error.code, 'GH_ERR_INTERNAL');
  assert.equal(end.session_duration_ms, events.length - 1 + 4_000);
  for (const e of events) {
    assert.equal(e.client_addr, '203.0.113.9:50123');
    assert.deepEqual(e.roles, ['dev', 'ops']);
  }
});

test('the batching sink delivers in order, in batches, and retries a failed delivery', async () => {
  const delivered: AuditEvent[][] = [];
  let failNext = true;
  const errors: unknown[] = [];
  const sink = createBatchingSink({
    maxBatch: 10,
    retryDelayMs: 1,
    onError: (err) => errors.push(err),
    deliver: async (batch) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      delivered.push([...batch]);
    },
  });
  const audit = createAudit({ sink });
  for (let i = 0; i < 25; i++) audit.onQuery(session(), `SELECT ${i}`, { kind: 'rows', rows: 1 }, 1);
  await sink.flush();
  assert.equal(errors.length, 1);
  assert.deepEqual(
    delivered.map((b) => b.length),
    [10, 10, 5],
  );
  const queries = delivered.flat().map((e) => (e as { query: string }).query);
  assert.deepEqual(
    queries,
    Array.from({ length: 25 }, (_, i) => `SELECT ${i}`),
  );
  assert.deepEqual(sink.stats(), { queued: 0, delivered: 25, batches: 3, failures: 1 });
  const jsonl = serializeAuditBatch(delivered[0]!);
  assert.equal(jsonl.split('\n').length, 11);
  await sink.close();
  assert.throws(() => sink.emit(delivered[0]![0]!), { code: 'GH_ERR_AUDIT_CLOSED' });
});
