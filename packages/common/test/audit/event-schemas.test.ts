import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUDIT_EVENT_TYPES, auditEventSchema, InvalidAuditEventError, parseAuditEvent } from '../../src/index.js';
import { makeAuditEvent } from '../../src/testing/index.js';

test('every event type has a valid sample that round-trips through JSON', () => {
  assert.equal(AUDIT_EVENT_TYPES.length, 29);
  for (const type of AUDIT_EVENT_TYPES) {
    const event = makeAuditEvent(type);
    const parsed = parseAuditEvent(JSON.parse(JSON.stringify(event)));
    assert.deepEqual(parsed, event, type);
  }
});

function rejection(value: unknown): { path: string; message: string } {
  try {
    parseAuditEvent(value);
  } catch (err) {
    assert.ok(err instanceof InvalidAuditEventError);
    assert.equal(err.code, 'GH_ERR_AUDIT_INVALID_EVENT');
    return { path: err.path, message: err.message };
  }
  assert.fail('expected a rejection');
}

test('bad events are rejected with the path of the bad field', () => {
  const cases: Array<[unknown, string]> = [
    [{ ...makeAuditEvent('db.session.query'), outcome: { kind: 'error', errno: -1, message: 'x' } }, 'outcome.errno'],
    [{ ...makeAuditEvent('db.session.query'), extra: 1 }, ''],
    [{ ...makeAuditEvent('db.session.query'), uid: 'not-a-uuid' }, 'uid'],
    [{ ...makeAuditEvent('db.session.query'), time: 'yesterday' }, 'time'],
    [{ ...makeAuditEvent('db.session.query'), code: 'GMY01I' }, 'code'],
    [{ ...makeAuditEvent('db.session.query'), event: 'db.session.nope' }, 'event'],
    [{ ...makeAuditEvent('db.session.start'), success: false }, 'code'],
    [{ ...makeAuditEvent('db.session.mysql.statements.execute'), parameters: [1n] }, 'parameters.0'],
    [{ ...makeAuditEvent('db.session.mysql.statements.close'), statement_id: 2 ** 32 }, 'statement_id'],
    [{ ...makeAuditEvent('db.session.start'), roles: 'dev' }, 'roles'],
  ];
  for (const [value, path] of cases) {
    const r = rejection(value);
    assert.equal(r.path, path, r.message);
    assert.match(r.message, /^invalid audit event at '/);
  }
  // Unknown keys are named in the message even though the path is the object itself.
  assert.match(rejection({ ...makeAuditEvent('db.session.end'), surprise: true }).message, /surprise/);
});

test('the union discriminates on event, so a valid shape of another type is refused', () => {
  const close = makeAuditEvent('db.session.mysql.statements.close');
  const asReset = { ...close, event: 'db.session.mysql.statements.reset', code: 'GMY04I' };
  assert.equal(auditEventSchema.safeParse(asReset).success, true);
  const asQuery = { ...close, event: 'db.session.query', code: 'GDB02I' };
  assert.equal(auditEventSchema.safeParse(asQuery).success, false);
});
