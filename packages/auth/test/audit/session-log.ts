// A random audit log of sessions for the page tests of both stores: starts (some refused, some
// with a client attribute named sid), queries and statements (some failing, some with query
// text that spells "user":"alice"), ends; spread over several days. And the brute-force
// readings the pages are checked against.
import assert from 'node:assert/strict';
import type { AuditEvent } from '@gatehouse/common';
import { createSeededRandom, makeAuditEvent } from '@gatehouse/testing';
import type { AuditPageFilter, AuditSessionSummary } from '../../src/index.js';

const USERS = ['alice', 'bob', 'carol'];
const DBS = ['main', 'reports'];
export const DAY = 86_400_000;
export const T0 = Date.parse('2026-03-01T08:00:00Z');

/** `steps` events in time order (equal times happen), from a seed. */
export function sessionLog(seed: number, steps = 400): AuditEvent[] {
  const rnd = createSeededRandom(seed);
  let clock = T0;
  const events: AuditEvent[] = [];
  const open: Array<{ sid: string; base: Record<string, unknown>; started: number }> = [];
  let n = 0;
  for (let step = 0; step < steps; step++) {
    clock += rnd.int(DAY / 40);
    const time = new Date(clock).toISOString();
    const roll = rnd.int(10);
    if (open.length === 0 || roll < 2) {
      const sid = `s${++n}`;
      const base = { sid, user: USERS[rnd.int(USERS.length)]!, db_service: DBS[rnd.int(DBS.length)]!, db_name: 'app' };
      const refused = rnd.int(8) === 0;
      const attributes =
        rnd.int(3) === 0 ? { sid: 'not-the-session', _program_name: 'mysql' } : { _program_name: 'mysql' };
      events.push(
        makeAuditEvent('db.session.start', {
          ...base,
          time,
          client_attributes: attributes,
          ...(refused ? { success: false, code: 'GDB00W', error: { message: 'denied' } } : {}),
        }),
      );
      if (!refused) open.push({ sid, base, started: clock });
    } else if (roll < 4) {
      const s = open.splice(rnd.int(open.length), 1)[0]!;
      events.push(makeAuditEvent('db.session.end', { ...s.base, time, session_duration_ms: clock - s.started }));
    } else {
      const s = open[rnd.int(open.length)]!;
      const fails = rnd.int(4) === 0;
      const query = rnd.int(5) === 0 ? `SELECT '"user":"alice"' FROM t${rnd.int(9)}` : `SELECT * FROM t${rnd.int(9)}`;
      const type = rnd.int(4) === 0 ? 'db.session.mysql.statements.execute' : 'db.session.query';
      events.push(
        makeAuditEvent(type, {
          ...s.base,
          time,
          query,
          query_length: Buffer.byteLength(query),
          ...(fails
            ? {
                outcome: { kind: 'error', errno: 1146, sqlstate: '42S02', message: 'no table' },
                code: type === 'db.session.query' ? 'GDB02W' : 'GMY01W',
              }
            : {}),
        }),
      );
    }
  }
  return events;
}

/** Every item of every page, following the cursors to the end. */
export async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<T[]> {
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

/** The sessions a filter selects, newest first, as summaryKey spells them: read from all events. */
export function expectedSummaries(events: readonly AuditEvent[], filter: AuditPageFilter): string[] {
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

export const summaryKey = (s: AuditSessionSummary): string =>
  `${s.sid} ${!s.success ? 'refused' : s.ended ? 'ended' : 'open'} q=${s.queries} err=${s.errors}`;
