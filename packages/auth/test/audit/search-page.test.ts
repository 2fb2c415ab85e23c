// Keyset pages and session summaries against a brute-force reading of the same log: a random
// log spread over many small files and several days, with the traps the byte pre-filter must
// not fall into (a client attribute named sid, query text that spells "user":"alice").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import { createSeededRandom, makeAuditEvent } from '@gatehouse/testing';
import { type AuditPageFilter, type AuditSessionSummary, openJsonlAuditStore } from '../../src/index.js';
import { tempDir } from './store-helpers.js';

const USERS = ['alice', 'bob', 'carol'];
const DBS = ['main', 'reports'];
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T08:00:00Z');

async function buildLog(dir: string, seed: number) {
  const rnd = createSeededRandom(seed);
  let clock = T0;
  const store = await openJsonlAuditStore({ dir, maxFileBytes: 6 * 1024, now: () => clock, commitWindowMs: 0 });
  const open: Array<{ sid: string; base: Record<string, unknown>; started: number }> = [];
  let n = 0;
  for (let step = 0; step < 400; step++) {
    clock += rnd.int(DAY / 40);
    const time = new Date(clock).toISOString();
    const roll = rnd.int(10);
    if (open.length === 0 || roll < 2) {
      const sid = `s${++n}`;
      const base = { sid, user: USERS[rnd.int(USERS.length)]!, db_service: DBS[rnd.int(DBS.length)]!, db_name: 'app' };
      const refused = rnd.int(8) === 0;
      const attributes = rnd.int(3) === 0 ? { sid: 'not-the-session', _program_name: 'mysql' } : { _program_name: 'mysql' };
      await store.append([
        makeAuditEvent('db.session.start', {
          ...base,
          time,
          client_attributes: attributes,
          ...(refused ? { success: false, code: 'GDB00W', error: { message: 'denied' } } : {}),
        }),
      ]);
      if (!refused) open.push({ sid, base, started: clock });
    } else if (roll < 4) {
      const s = open.splice(rnd.int(open.length), 1)[0]!;
      await store.append([makeAuditEvent('db.session.end', { ...s.base, time, session_duration_ms: clock - s.started })]);
    } else {
      const s = open[rnd.int(open.length)]!;
      const fails = rnd.int(4) === 0;
      const query = rnd.int(5) === 0 ? `SELECT '"user":"alice"' FROM t${rnd.int(9)}` : `SELECT * FROM t${rnd.int(9)}`;
      const type = rnd.int(4) === 0 ? 'db.session.mysql.statements.execute' : 'db.session.query';
      await store.append([
        makeAuditEvent(type, {
          ...s.base,
          time,
          query,
          query_length: Buffer.byteLength(query),
          ...(fails
            ? { outcome: { kind: 'error', errno: 1146, sqlstate: '42S02', message: 'no table' }, code: type === 'db.session.query' ? 'GDB02W' : 'GMY01W' }
            : {}),
        }),
      ]);
    }
  }
  return store;
}

async function allPages<T>(fetch: (cursor: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const page = await fetch(cursor);
    out.push(...page.items);
    if (page.next === undefined) return out;
    assert.ok(page.items.length > 0, 'a page with a next cursor is not empty');
    cursor = page.next;
  }
  throw new Error('pages never ended');
}

function expectedSummaries(events: readonly AuditEvent[], filter: AuditPageFilter): string[] {
  const bySid = new Map<string, AuditEvent[]>();
  for (const e of events) bySid.set(e.sid, [...(bySid.get(e.sid) ?? []), e]);
  const text = filter.query?.toLowerCase();
  return events
    .filter((e) => e.event === 'db.session.start')
    .filter((e) => filter.user === undefined || e.user === filter.user)
    .filter((e) => filter.db === undefined || e.db_service === filter.db || e.db_name === filter.db)
    .filter((e) => filter.since === undefined || Date.parse(e.time) >= filter.since.getTime())
    .filter((e) => {
      if (text === undefined && filter.type === undefined) return true;
      return bySid.get(e.sid)!.some((x) => {
        const q = (x as { query?: string }).query;
        if (text !== undefined && !(typeof q === 'string' && q.toLowerCase().includes(text))) return false;
        return filter.type === undefined || x.event === filter.type;
      });
    })
    .map((e) => {
      const rest = bySid.get(e.sid)!.filter((x) => x !== e);
      const end = rest.find((x) => x.event === 'db.session.end');
      const others = rest.filter((x) => x.event !== 'db.session.end');
      return `${e.sid} ${end ? 'ended' : e.code === 'GDB00W' ? 'refused' : 'open'} q=${others.length} err=${others.filter((x) => x.code.endsWith('W')).length}`;
    })
    .reverse();
}

const summaryKey = (s: AuditSessionSummary) =>
  `${s.sid} ${!s.success ? 'refused' : s.ended ? 'ended' : 'open'} q=${s.queries} err=${s.errors}`;

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
        const paged = await allPages((cursor) => store.searchPage({ ...filter, order, limit, ...(cursor ? { cursor } : {}) }));
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
      assert.deepEqual(paged.map(summaryKey), expectedSummaries(events, filter), `${JSON.stringify(filter)} limit ${limit}`);
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
  const file = join(dir, readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()[1]!);
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
