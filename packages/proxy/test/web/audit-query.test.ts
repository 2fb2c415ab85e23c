import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/testing';
import { describeIssue, EventsQuerySchema, SessionsQuerySchema } from '../../src/web/audit-query.js';

test('filters parse relative and absolute times, and say which parameter is wrong', () => {
  const ok = SessionsQuerySchema.parse({ since: '24h', until: '2026-03-01T00:00:00Z', user: 'alice', limit: '20' });
  assert.ok(ok.since instanceof Date && Math.abs(Date.now() - 24 * 3600_000 - ok.since.getTime()) < 60_000);
  assert.equal(ok.until?.toISOString(), '2026-03-01T00:00:00.000Z');
  assert.equal(ok.limit, 20);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ since: 'last tuesday' }, /^since: /],
    [{ until: '2026-13-45T99:00:00Z' }, /^until: /],
    [{ limit: '0' }, /^limit: /],
    [{ limit: '501' }, /^limit: at most 500/],
    [{ type: 'x;DROP' }, /^type: /],
    [{ user: '' }, /^user: must not be empty/],
    [{ user: ['a', 'b'] }, /^user: /],
    [{ cursor: '1e9' }, /^cursor: /],
    [{ nope: '1' }, /unknown parameter\(s\): nope/],
  ];
  for (const [query, reason] of cases) {
    const r = SessionsQuerySchema.safeParse(query);
    assert.equal(r.success, false, JSON.stringify(query));
    if (!r.success) assert.match(describeIssue(r.error, 'query'), reason);
  }
  assert.equal(EventsQuerySchema.safeParse({ format: 'xml' }).success, false);
});

test('random query strings are accepted or refused, never thrown on', () => {
  const rnd = createSeededRandom(19);
  const keys = ['since', 'until', 'user', 'db', 'type', 'query', 'cursor', 'limit', 'order', 'format', 'session', 'zz'];
  for (let i = 0; i < 2000; i++) {
    const query: Record<string, string> = {};
    for (let k = rnd.int(4); k > 0; k--) query[keys[rnd.int(keys.length)]!] = rnd.bytes(rnd.int(40)).toString('latin1');
    const r = EventsQuerySchema.safeParse(query);
    if (!r.success) assert.ok(describeIssue(r.error, 'query').length > 0);
  }
});
