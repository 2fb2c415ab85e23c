import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeAuditEvent } from '@gatehouse/testing';
import { addEvent, startSummary } from '../../src/audit/session-summaries.js';

test("a session's summary counts the person's commands, not the engine's changes to their database user", () => {
  const summary = startSummary(makeAuditEvent('db.session.start'));
  addEvent(summary, makeAuditEvent('db.session.query'));
  addEvent(summary, makeAuditEvent('db.user.update'));
  addEvent(
    summary,
    makeAuditEvent('db.session.query', { code: 'GDB02W', outcome: { kind: 'error', errno: 1142, message: 'denied' } }),
  );
  assert.equal(summary.queries, 2);
  assert.equal(summary.errors, 1);
  addEvent(summary, makeAuditEvent('db.session.end'));
  addEvent(summary, makeAuditEvent('db.user.lock'));
  assert.equal(summary.ended, true);
  assert.equal(summary.queries, 2);
});
