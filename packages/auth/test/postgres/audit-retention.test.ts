// What only the PostgreSQL audit store has: several writers' chains in one table, group commit
// per transaction, and retention that drops whole daily partitions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeAuditEvent, type Postgres, startPostgres } from '@gatehouse/testing';
import { openPostgresAuditStore, openPostgresStorage, type PostgresStorage } from '../../src/postgres/index.js';

let pg: Postgres;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

const DAY = 86_400_000;

async function storage(t: { after(fn: () => Promise<void>): void }): Promise<{ storage: PostgresStorage; db: string }> {
  const url = await pg.createDatabase('retention');
  const s = await openPostgresStorage({ url });
  t.after(() => s.close());
  return { storage: s, db: new URL(url).pathname.slice(1) };
}

test('two writers keep two chains; concurrent appends share transactions', async (t) => {
  const { storage: s, db } = await storage(t);
  const a = await openPostgresAuditStore({ sql: s.sql, writerId: 'proxy-a' });
  const b = await openPostgresAuditStore({ sql: s.sql, writerId: 'proxy-b' });
  const appends = 100;
  await Promise.all(
    Array.from({ length: appends }, (_, i) => (i % 2 ? a : b).append([makeAuditEvent('db.session.query')])),
  );
  const report = await a.verify();
  assert.deepEqual(report, { ok: true, files: 2, events: appends, notes: [] });
  // One `stored` value per transaction: group commit means far fewer than one per append.
  const transactions = Number((await pg.sql('SELECT count(DISTINCT (writer, stored)) FROM gh_audit', db)).trim());
  assert.ok(transactions < appends, `${transactions} transactions for ${appends} appends`);
  const heads = (await pg.sql('SELECT writer, seq FROM gh_audit_head ORDER BY writer', db)).trim();
  assert.equal(heads, 'proxy-a|50\nproxy-b|50');
  await a.close();
  await b.close();
});

test('retention drops whole old partitions and the chain still verifies from where it continues', async (t) => {
  const { storage: s, db } = await storage(t);
  let clock = Date.parse('2025-03-01T10:00:00Z');
  const store = await openPostgresAuditStore({ sql: s.sql, writerId: 'w', retentionMs: DAY, now: () => clock });
  t.after(() => store.close());
  for (let i = 0; i < 3; i++) await store.append([makeAuditEvent('db.session.query', { query: `SELECT ${i}` })]);
  clock += 2 * DAY;
  for (let i = 3; i < 6; i++) await store.append([makeAuditEvent('db.session.query', { query: `SELECT ${i}` })]);
  clock += DAY;
  const pruned = await store.prune();
  assert.ok(pruned.partitions.includes('gh_audit_p20250301'), pruned.partitions.join());
  assert.ok(!pruned.partitions.includes('gh_audit_p20250303'));
  assert.equal((await store.search({})).length, 3);
  const report = await store.verify();
  assert.equal(report.ok, true);
  assert.equal(report.events, 3);
  assert.match(report.notes.join(), /seq 1 to 3 were dropped by retention/);

  // Rows deleted by hand are still caught, also in the chain that continues after the cut.
  await pg.sql('DELETE FROM gh_audit WHERE seq = 4', db);
  const broken = await store.verify();
  assert.equal(broken.ok, false);
  assert.match(broken.ok ? '' : broken.reason, /seq 5 follows seq 3: 1 row\(s\) were deleted/);
});

test('a partition dropped by hand (no retention record) fails verification', async (t) => {
  const { storage: s, db } = await storage(t);
  let clock = Date.parse('2025-03-01T10:00:00Z');
  const store = await openPostgresAuditStore({ sql: s.sql, writerId: 'w', now: () => clock });
  t.after(() => store.close());
  await store.append([makeAuditEvent('db.session.start')]);
  clock += 2 * DAY;
  await store.append([makeAuditEvent('db.session.end')]);
  await pg.sql('DROP TABLE gh_audit_p20250301', db);
  const report = await store.verify();
  assert.equal(report.ok, false);
  assert.match(report.ok ? '' : report.reason, /seq 2 follows seq 0/);
});
