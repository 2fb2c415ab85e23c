// One suite, two audit stores: the JSONL files and PostgreSQL keep the same contract (append
// order and idempotence, every search filter, keyset pages and session summaries, tamper
// evidence with the broken row shown).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { AUDIT_EVENT_TYPES, type AuditEvent } from '@gatehouse/common';
import { createSeededRandom, makeAuditEvent, type Postgres, startPostgres } from '@gatehouse/testing';
import { compileAuditFilter } from '../../src/audit/search-filter.js';
import {
  type AuditPageFilter,
  type AuditSearchFilter,
  type AuditStore,
  openJsonlAuditStore,
  openThreadedJsonlAuditStore,
} from '../../src/index.js';
import { openPostgresAuditStore, openPostgresStorage } from '../../src/postgres/index.js';
import { allPages, DAY, expectedSummaries, sessionLog, summaryKey, T0 } from './session-log.js';
import { tempDir } from './store-helpers.js';

interface Tamper {
  /** Changes the query text of the n-th stored event (1-based, in the order appended). */
  edit(n: number): Promise<void>;
  /** Removes the n-th stored event. */
  remove(n: number): Promise<void>;
  /** Removes the last event. */
  removeLast(): Promise<void>;
}

interface Opened {
  readonly store: AuditStore;
  /** Opens the same location again (after store.close()), as a restarted process would. */
  reopen(): Promise<AuditStore>;
  readonly tamper: Tamper;
}

let pg: Postgres;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

function jsonlLines(dir: string): { file: string; lines: string[] } {
  const [name] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  const file = join(dir, name!);
  return { file, lines: readFileSync(file, 'utf8').trimEnd().split('\n') };
}

/** The JSONL files, with the store opened by `openStore` (in this thread, or its writer thread). */
function jsonlBackend(openStore: (options: { dir: string }) => Promise<AuditStore>) {
  return async (t: TestContext): Promise<Opened> => {
    const dir = tempDir(t);
    const store = await openStore({ dir });
    const rewrite = (fn: (lines: string[]) => void): void => {
      const { file, lines } = jsonlLines(dir);
      fn(lines);
      writeFileSync(file, `${lines.join('\n')}\n`);
    };
    return {
      store,
      reopen: () => openStore({ dir }),
      tamper: {
        edit: async (n) => rewrite((l) => l.splice(n - 1, 1, l[n - 1]!.replace('SELECT', 'DELETE'))),
        remove: async (n) => rewrite((l) => void l.splice(n - 1, 1)),
        removeLast: async () => rewrite((l) => void l.pop()),
      },
    };
  };
}

const backends: Record<string, (t: TestContext) => Promise<Opened>> = {
  jsonl: jsonlBackend(openJsonlAuditStore),
  'jsonl, writer thread': jsonlBackend(openThreadedJsonlAuditStore),
  postgres: async () => {
    const url = await pg.createDatabase('audit');
    const db = new URL(url).pathname.slice(1);
    const open = async (): Promise<AuditStore> => {
      const storage = await openPostgresStorage({ url });
      return openPostgresAuditStore({ sql: storage.sql, onClose: () => storage.close() });
    };
    const nth = (n: number) =>
      `(SELECT writer, seq FROM gh_audit ORDER BY stored, writer, seq OFFSET ${n - 1} LIMIT 1)`;
    return {
      store: await open(),
      reopen: open,
      tamper: {
        edit: (n) =>
          pg
            .sql(`UPDATE gh_audit SET body = replace(body, 'SELECT', 'DELETE') WHERE (writer, seq) IN ${nth(n)}`, db)
            .then(() => undefined),
        remove: (n) => pg.sql(`DELETE FROM gh_audit WHERE (writer, seq) IN ${nth(n)}`, db).then(() => undefined),
        removeLast: () =>
          pg
            .sql(
              'DELETE FROM gh_audit WHERE (writer, seq) IN (SELECT writer, max(seq) FROM gh_audit GROUP BY writer)',
              db,
            )
            .then(() => undefined),
      },
    };
  },
};

/** Seeded events spread over users, databases, sessions, types and an hour of time. */
function makeEvents(count: number, seed: number): AuditEvent[] {
  const random = createSeededRandom(seed);
  const base = Date.parse('2025-03-01T12:00:00Z');
  const pick = <T>(xs: readonly T[]): T => xs[random.int(xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const type = pick(AUDIT_EVENT_TYPES);
    const extra: Record<string, unknown> = {
      time: new Date(base + i * 1000 + random.int(500)).toISOString(),
      user: pick(['alice', 'bob', 'carol']),
      db_service: pick(['orders', 'billing']),
      db_name: pick(['app', 'orders', 'reports']),
      sid: `00000000-0000-4000-8000-00000000000${random.int(4)}`,
    };
    if (type === 'db.session.query') extra.query = pick(['SELECT 1', 'select * FROM Orders', 'UPDATE t SET x = 1']);
    return makeAuditEvent(type, extra);
  });
}

for (const [name, open] of Object.entries(backends)) {
  describe(`audit store contract (${name})`, () => {
    test('concurrent appends form one verified chain; every type reads back unchanged', async (t) => {
      const { store } = await open(t);
      t.after(() => store.close());
      const events = AUDIT_EVENT_TYPES.map((type, i) =>
        makeAuditEvent(type, { time: new Date(Date.parse('2025-03-01T00:00:00Z') + i).toISOString() }),
      );
      const results = await Promise.all(events.map((e) => store.append([e])));
      assert.ok(results.every((r) => r.appended === 1 && r.duplicates === 0));
      assert.deepEqual(await store.search({}), events);
      const report = await store.verify();
      assert.equal(report.ok, true);
      assert.equal(report.events, events.length);
    });

    test('redelivered uids are skipped, within a batch, across batches and after a restart', async (t) => {
      const opened = await open(t);
      const events = [makeAuditEvent('db.session.start'), makeAuditEvent('db.session.query')];
      assert.deepEqual(await opened.store.append(events), { appended: 2, duplicates: 0 });
      const extra = makeAuditEvent('db.session.end');
      const [again, mixed] = await Promise.all([
        opened.store.append(events),
        opened.store.append([events[1]!, extra, extra]),
      ]);
      assert.deepEqual(again, { appended: 0, duplicates: 2 });
      assert.deepEqual(mixed, { appended: 1, duplicates: 2 });
      await opened.store.close();
      const store = await opened.reopen();
      t.after(() => store.close());
      assert.deepEqual(await store.append([...events, extra]), { appended: 0, duplicates: 3 });
      assert.equal((await store.search({})).length, 3);
      assert.equal((await store.verify()).ok, true);
    });

    test('every search filter gives what the reference predicate selects', async (t) => {
      const { store } = await open(t);
      t.after(() => store.close());
      const events = makeEvents(400, 16);
      for (let i = 0; i < events.length; i += 50) await store.append(events.slice(i, i + 50));
      const byTime = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
      const t0 = Date.parse('2025-03-01T12:00:00Z');
      const filters: AuditSearchFilter[] = [
        { user: 'bob' },
        { db: 'orders' },
        { type: 'db.session.mysql.*' },
        { type: 'db.session.query' },
        { session: '00000000-0000-4000-8000-000000000002' },
        { query: 'orders' },
        { since: new Date(t0 + 100_000), until: new Date(t0 + 200_000) },
        { user: 'alice', since: new Date(t0 + 50_000), limit: 7 },
        { user: 'carol', order: 'desc', limit: 5 },
        { db: 'app', type: 'db.session.query', query: 'SELECT' },
      ];
      for (const filter of filters) {
        const matches = byTime.filter(compileAuditFilter(filter));
        const limit = filter.limit ?? 1000;
        const expected = filter.order === 'desc' ? matches.reverse().slice(0, limit) : matches.slice(0, limit);
        const found = await store.search(filter);
        assert.ok(expected.length > 0, `the data exercises ${JSON.stringify(filter)}`);
        assert.deepEqual(
          found.map((e) => e.uid),
          expected.map((e) => e.uid),
          JSON.stringify(filter),
        );
      }
    });

    for (const [what, how, reason] of [
      ['an edited event', (x: Tamper) => x.edit(3), /edited/],
      ['a deleted event', (x: Tamper) => x.remove(3), /deleted|seq/],
      ['events deleted from the end', (x: Tamper) => x.removeLast(), /end|ahead|HEAD/],
    ] as const) {
      test(`verify catches ${what}`, async (t) => {
        const { store, tamper } = await open(t);
        t.after(() => store.close());
        for (let i = 0; i < 5; i++) await store.append([makeAuditEvent('db.session.query', { query: `SELECT ${i}` })]);
        assert.equal((await store.verify()).ok, true);
        await how(tamper);
        const report = await store.verify();
        assert.equal(report.ok, false);
        assert.match(report.ok ? '' : report.reason, reason);
        if (what === 'an edited event' && !report.ok) {
          // The third event was "SELECT 2": the report shows it as stored, and the one after it.
          assert.match(report.broken ?? '', /DELETE 2/);
          assert.match(report.following ?? '', /SELECT 3/);
        }
      });
    }

    test('keyset pages, in both orders and any page size, hold exactly what a full search finds', async (t) => {
      const { store } = await open(t);
      t.after(() => store.close());
      const events = sessionLog(7, 200);
      for (let i = 0; i < events.length; i += 50) await store.append(events.slice(i, i + 50));
      const filters: AuditPageFilter[] = [
        {},
        { user: 'alice' },
        { db: 'reports' },
        { type: 'db.session.mysql.*' },
        { query: 'FROM T3' },
        { user: 'bob', type: 'db.session.query' },
        { session: 's3' },
        { since: new Date(T0 + 2 * DAY) },
      ];
      for (const filter of filters) {
        for (const order of ['asc', 'desc'] as const) {
          const expected = (await store.search({ ...filter, order, limit: 1_000_000 })).map((e) => e.uid);
          assert.ok(expected.length > 0, `the data exercises ${JSON.stringify(filter)}`);
          for (const limit of [1, 7, 1000]) {
            const paged = await allPages((cursor) =>
              store.searchPage({ ...filter, order, limit, ...(cursor ? { cursor } : {}) }),
            );
            assert.deepEqual(
              paged.map((e) => e.uid),
              expected,
              `${JSON.stringify(filter)} ${order} limit ${limit}`,
            );
          }
        }
      }
    });

    test('session pages sum up each session from its events, newest first, for every filter', async (t) => {
      const { store } = await open(t);
      t.after(() => store.close());
      const events = sessionLog(11, 200);
      for (let i = 0; i < events.length; i += 50) await store.append(events.slice(i, i + 50));
      const filters: AuditPageFilter[] = [
        {},
        { user: 'carol' },
        { db: 'main' },
        { query: 'from t5' },
        { type: 'db.session.mysql.statements.execute' },
        { since: new Date(T0 + 2 * DAY), user: 'alice' },
      ];
      for (const filter of filters) {
        const expected = expectedSummaries(events, filter);
        assert.ok(expected.length > 0, `the data exercises ${JSON.stringify(filter)}`);
        for (const limit of [1, 5, 500]) {
          const paged = await allPages((cursor) => store.sessions({ ...filter, limit, ...(cursor ? { cursor } : {}) }));
          assert.deepEqual(paged.map(summaryKey), expected, `${JSON.stringify(filter)} limit ${limit}`);
        }
      }
      // The fields a session row shows.
      const [first] = (await store.sessions({ limit: 1 })).items;
      const start = events.filter((e) => e.event === 'db.session.start').at(-1)!;
      assert.ok(first);
      assert.equal(first.sid, start.sid);
      assert.equal(first.program, 'mysql');
      assert.equal(first.time, start.time);
      assert.equal(first.user, start.user);
    });

    test('a cursor that this store did not make is refused, not misread', async (t) => {
      const { store } = await open(t);
      t.after(() => store.close());
      await store.append(sessionLog(3, 20));
      await assert.rejects(store.searchPage({ cursor: 'abc' }), /cursor/);
      await assert.rejects(store.sessions({ cursor: '-1' }), /cursor/);
    });
  });
}
