import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Audit, type AuditEvent, type AuditSession, type AuditStatement, createAudit } from '@gatehouse/common';
import {
  ColumnType,
  createParamType,
  PreparedStatementRegistry,
  parseClientCommand,
  type ResponseOutcome,
  serializeQuery,
  serializeSchemaCommand,
  serializeStmtExecute,
  serializeStmtPrepare,
} from '@gatehouse/mysql-protocol';
import { type AuditSwitches, CommandAudit } from '../../src/session/command-audit.js';
import { absorbOutcome, type CommandRecord, createCommandRecord } from '../../src/session/command-record.js';

const CAPS = 0x0020_0000 | 0x0000_0200; // CLIENT_PLUGIN_AUTH | CLIENT_PROTOCOL_41: no query attributes

const SESSION: AuditSession = {
  id: 's1',
  user: 'alice',
  roles: ['dev'],
  dbService: 'orders',
  dbUser: 'app',
  dbName: 'shop',
  clientAddr: '192.0.2.1:4000',
  engineId: 'e1',
  proxyId: 'p1',
  clientAttributes: {},
  startedAt: 0,
};

const ok = {
  kind: 'ok',
  command: undefined,
  done: true,
  endOffset: 0,
  affectedRows: 0,
  lastInsertId: 0,
  statusFlags: 0,
  warnings: 0,
  info: '',
} as const;
const rows = {
  kind: 'resultset',
  command: undefined,
  done: true,
  endOffset: 0,
  columnCount: 1,
  rowCount: 1,
  binary: false,
  cursor: false,
  statusFlags: 0,
  warnings: 0,
} as const;
const prepared = (statementId: number): ResponseOutcome => ({
  kind: 'prepared',
  command: undefined,
  done: true,
  endOffset: 0,
  statementId,
  columnCount: 1,
  paramCount: 1,
  warnings: 0,
});

/** An Audit that records which methods ran, over a real one writing into `events`. */
function createSpyAudit(events: AuditEvent[]): { audit: Audit; calls: string[] } {
  const real = createAudit({ sink: { emit: (e) => events.push(e) } });
  const calls: string[] = [];
  const audit = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { audit, calls };
}

/** One command through a record, as the relay runs it; returns what the session must apply. */
function run(
  ca: CommandAudit,
  registry: PreparedStatementRegistry<AuditStatement>,
  payload: Buffer,
  outcome: ResponseOutcome,
) {
  const command = parseClientCommand(payload, { capabilities: CAPS, registry });
  const schema = command.kind === 'query' && /^USE /i.test(command.sql) ? command.sql.slice(4) : undefined;
  const record: CommandRecord = createCommandRecord(
    command,
    schema,
    ca.now(),
    (id) => registry.lookup(id),
    ca.queryEvents,
  );
  registry.observe(command);
  absorbOutcome(record, outcome);
  if (record.kind === 'stmt_prepare' && record.preparedId >= 0) {
    record.prepared = registry.recordPrepared(record.preparedId, record.paramCount);
  }
  ca.onFinished(record);
  if (record.prepared !== undefined)
    return { kind: 'prepared', statementId: record.prepared.statementId, paramCount: record.prepared.paramCount };
  if (record.error !== undefined) return undefined;
  if (record.kind === 'init_db') return { kind: 'schema', schema: record.text };
  return record.schema !== undefined ? { kind: 'schema', schema: record.schema } : undefined;
}

const execute = (statementId: number) =>
  serializeStmtExecute(
    { statementId, params: [{ type: createParamType(ColumnType.Long), value: 7 }] },
    { capabilities: CAPS },
  );

test('query_events off: no query or statement events and no event-building work, but the session effects remain', () => {
  const events: AuditEvent[] = [];
  const { audit, calls } = createSpyAudit(events);
  const switches: AuditSwitches = { queryEvents: false };
  const ca = new CommandAudit(audit, SESSION, () => 0, switches);
  const registry = new PreparedStatementRegistry<AuditStatement>();

  assert.equal(run(ca, registry, serializeQuery('SELECT 1', { capabilities: CAPS }), rows), undefined);
  assert.deepEqual(run(ca, registry, serializeQuery('USE shop2', { capabilities: CAPS }), ok), {
    kind: 'schema',
    schema: 'shop2',
  });
  assert.deepEqual(run(ca, registry, serializeStmtPrepare('SELECT ?'), prepared(5)), {
    kind: 'prepared',
    statementId: 5,
    paramCount: 1,
  });
  assert.equal(run(ca, registry, execute(5), rows), undefined);
  // Neither redaction (describeStatement) nor any event method ran: the work is gone, not just the write.
  assert.deepEqual(calls, []);
  assert.equal(events.length, 0);

  // Schema changes are still audited.
  assert.deepEqual(run(ca, registry, serializeSchemaCommand('init_db', 'shop3'), ok), {
    kind: 'schema',
    schema: 'shop3',
  });
  assert.deepEqual(
    events.map((e) => e.event),
    ['db.session.mysql.init_db'],
  );
});

test('query_events off: a denied query is still audited', () => {
  const events: AuditEvent[] = [];
  const { audit } = createSpyAudit(events);
  const ca = new CommandAudit(audit, SESSION, () => 0, { queryEvents: false });
  const command = parseClientCommand(serializeQuery('SHUTDOWN', { capabilities: CAPS }), { capabilities: CAPS });
  ca.onDenied(command, { errno: 1045, sqlState: '28000', message: 'denied' });
  assert.equal(events.length, 1);
  assert.equal(events[0]?.event, 'db.session.query');
  assert.equal((events[0] as unknown as { outcome: { errno: number } }).outcome.errno, 1045);
});

test('query_events flipped on mid-session: the next query and execute are audited with their parameters', () => {
  const events: AuditEvent[] = [];
  const { audit } = createSpyAudit(events);
  const switches: AuditSwitches = { queryEvents: false };
  const ca = new CommandAudit(audit, SESSION, () => 0, switches);
  const registry = new PreparedStatementRegistry<AuditStatement>();
  run(ca, registry, serializeStmtPrepare('SELECT ? AS a'), prepared(9));
  run(ca, registry, serializeQuery('SELECT 1', { capabilities: CAPS }), rows);
  assert.equal(events.length, 0);

  switches.queryEvents = true;
  run(ca, registry, serializeQuery('SELECT 2', { capabilities: CAPS }), rows);
  run(ca, registry, execute(9), rows);
  assert.deepEqual(
    events.map((e) => e.event),
    ['db.session.query', 'db.session.mysql.statements.execute'],
  );
  const exec = events[1] as unknown as { parameters: unknown[]; statement_id: number };
  assert.equal(exec.statement_id, 9);
  assert.deepEqual(exec.parameters, [7]);

  switches.queryEvents = false;
  run(ca, registry, serializeQuery('SELECT 3', { capabilities: CAPS }), rows);
  assert.equal(events.length, 2);
});
