import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import { type AuditSearchFilter, openJsonlAuditStore } from '../../src/index.js';
import { tempDir } from './store-helpers.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 10, 12, minute)).toISOString();

const EVENTS: AuditEvent[] = [
  makeAuditEvent('db.session.start', { time: at(0), user: 'alice', sid: 'a1', db_service: 'orders', db_name: 'app' }),
  makeAuditEvent('db.session.query', {
    time: at(1),
    user: 'alice',
    sid: 'a1',
    db_service: 'orders',
    db_name: 'app',
    query: 'SELECT * FROM Invoices',
  }),
  makeAuditEvent('db.session.mysql.init_db', {
    time: at(2),
    user: 'alice',
    sid: 'a1',
    db_service: 'orders',
    db_name: 'reports',
  }),
  makeAuditEvent('db.session.start', { time: at(3), user: 'bob', sid: 'b1', db_service: 'billing', db_name: 'ledger' }),
  makeAuditEvent('db.session.query', {
    time: at(4),
    user: 'bob',
    sid: 'b1',
    db_service: 'billing',
    db_name: 'ledger',
    query: 'DELETE FROM invoices',
  }),
  makeAuditEvent('db.session.end', { time: at(5), user: 'bob', sid: 'b1', db_service: 'billing', db_name: 'ledger' }),
];

test('search filters', async (t) => {
  const store = await openJsonlAuditStore({ dir: tempDir(t) });
  t.after(() => store.close());
  await store.append(EVENTS);
  const idx = async (filter: AuditSearchFilter) =>
    (await store.search(filter)).map((e) => EVENTS.findIndex((x) => x.uid === e.uid));

  assert.deepEqual(await idx({}), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(await idx({ since: new Date(at(2)) }), [2, 3, 4, 5]);
  assert.deepEqual(await idx({ until: new Date(at(2)) }), [0, 1]);
  assert.deepEqual(await idx({ since: new Date(at(1)), until: new Date(at(4)) }), [1, 2, 3]);
  assert.deepEqual(await idx({ user: 'bob' }), [3, 4, 5]);
  assert.deepEqual(await idx({ db: 'orders' }), [0, 1, 2]);
  assert.deepEqual(await idx({ db: 'reports' }), [2], 'db matches the db name too');
  assert.deepEqual(await idx({ type: 'db.session.start' }), [0, 3]);
  assert.deepEqual(await idx({ type: 'db.session.mysql.*' }), [2]);
  assert.deepEqual(await idx({ session: 'b1' }), [3, 4, 5]);
  assert.deepEqual(await idx({ query: 'invoices' }), [1, 4], 'text search ignores case');
  assert.deepEqual(await idx({ query: 'invoices', user: 'alice' }), [1]);
  assert.deepEqual(await idx({ limit: 2 }), [0, 1]);
  assert.deepEqual(await idx({ limit: 2, order: 'desc' }), [5, 4]);
  assert.deepEqual(await idx({ order: 'desc' }), [5, 4, 3, 2, 1, 0]);
  assert.deepEqual(await idx({ limit: 0 }), []);
  assert.deepEqual(await idx({ user: 'nobody' }), []);
});
