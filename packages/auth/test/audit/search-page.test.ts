// Keyset pages and session summaries against a brute-force reading of the same log: a random
// log spread over many small files and several days, with the traps the byte pre-filter must
// not fall into (a client attribute named sid, query text that spells "user":"alice").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AuditPageFilter, openJsonlAuditStore } from '../../src/index.js';
import { allPages, DAY, expectedSummaries, sessionLog, summaryKey, T0 } from './session-log.js';
import { tempDir } from './store-helpers.js';

/** The session log in small JSONL files over several days, each event stored at its own time. */
async function buildLog(dir: string, seed: number) {
  let clock = T0;
  const store = await openJsonlAuditStore({ dir, maxFileBytes: 6 * 1024, now: () => clock, commitWindowMs: 0 });
  for (const event of sessionLog(seed)) {
    clock = Date.parse(event.time);
    await store.append([event]);
  }
  return store;
}

test('keyset pages, in both orders and any page size, hold exactly what a full search finds', async (t) => {
  const dir = tempDir(t);
  const store = await buildLog(dir, 7);
  t.after(() => store.close());
  const filters: AuditPageFilter[] = [
    {},
    { user: 'alice' },
    { db: 'reports' },
    { type: 'db.session.start' },
    { type: 'db.session.mysql.*' },
    { query: 'FROM T3' },
    { user: 'bob', type: 'db.session.query' },
    { session: 's3' },
    { since: new Date(T0 + 3 * DAY) },
  ];
  for (const filter of filters) {
    for (const order of ['asc', 'desc'] as const) {
      const expected = await store.search({ ...filter, order, limit: 1_000_000 });
      for (const limit of [1, 7, 1000]) {
        const paged = await allPages((cursor) =>
          store.searchPage({ ...filter, order, limit, ...(cursor ? { cursor } : {}) }),
        );
        assert.deepEqual(
          paged.map((e) => e.uid),
          expected.map((e) => e.uid),
          `${JSON.stringify(filter)} ${order} limit ${limit}`,
        );
      }
    }
  }
});

test('session pages sum up each session from its events, newest first, for every filter', async (t) => {
  const dir = tempDir(t);
  const store = await buildLog(dir, 11);
  t.after(() => store.close());
  const events = await store.search({ limit: 1_000_000 });
  const filters: AuditPageFilter[] = [
    {},
    { user: 'carol' },
    { db: 'main' },
    { query: 'from t5' },
    { type: 'db.session.mysql.statements.execute' },
    { since: new Date(T0 + 4 * DAY), user: 'alice' },
  ];
  for (const filter of filters) {
    for (const limit of [1, 5, 500]) {
      const paged = await allPages((cursor) => store.sessions({ ...filter, limit, ...(cursor ? { cursor } : {}) }));
      assert.deepEqual(
        paged.map(summaryKey),
        expectedSummaries(events, filter),
        `${JSON.stringify(filter)} limit ${limit}`,
      );
    }
  }
  // The fields a session row shows.
  const [first] = (await store.sessions({ limit: 1 })).items;
  assert.ok(first);
  assert.equal(first.program, 'mysql');
  assert.match(first.time, /^2026-/);
});

test('a cursor that this server did not make is refused, not misread', async (t) => {
  const dir = tempDir(t);
  const store = await buildLog(dir, 3);
  t.after(() => store.close());
  await assert.rejects(store.searchPage({ cursor: 'abc' }), /cursor/);
  await assert.rejects(store.sessions({ cursor: '-1' }), /cursor/);
});

test('verify reports the edited line as stored and the line after it', async (t) => {
  const { readdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = tempDir(t);
  const store = await buildLog(dir, 5);
  await store.close();
  const file = join(
    dir,
    readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()[1]!,
  );
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[2] = lines[2]!.replace('"user":"', '"user":"x');
  writeFileSync(file, lines.join('\n'));
  const reopened = await openJsonlAuditStore({ dir });
  t.after(() => reopened.close());
  const report = await reopened.verify();
  assert.equal(report.ok, false);
  if (report.ok) return;
  assert.equal(report.line, 3);
  assert.equal(report.broken, lines[2]);
  assert.equal(report.following, lines[3]);
});
