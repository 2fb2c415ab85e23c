// Audit review on a big log: how long the web app's queries take on a JSONL store of 1M events
// (about 50 000 sessions of 50 users over 10 days), against the full scan `gatectl audit search`
// does. Run: npm run bench:audit-search -w bench   (env AUDIT_SEARCH_EVENTS, default 1 000 000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openJsonlAuditStore, searchAuditLog } from '@gatehouse/auth';
import type { AuditEvent } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';

const TOTAL = Number(process.env.AUDIT_SEARCH_EVENTS ?? 1_000_000);
const USERS = 50;
const PER_SESSION = 20;
const DAYS = 10;
const T0 = Date.parse('2026-03-01T00:00:00Z');

async function timed<T>(name: string, run: () => Promise<T>, describe: (r: T) => string): Promise<void> {
  await run(); // warm: file list, first-seq cache, page cache
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    result = await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(58)} median ${times[1]!.toFixed(0).padStart(6)} ms  (min ${times[0]!.toFixed(0)}, max ${times[2]!.toFixed(0)}; ${describe(result as T)})`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-search-'));
  try {
    let clock = T0;
    const step = (DAYS * 86_400_000) / TOTAL;
    const store = await openJsonlAuditStore({ dir, now: () => clock, commitWindowMs: 0 });
    const built = performance.now();
    const sessions = Math.ceil(TOTAL / PER_SESSION);
    // Sessions interleave: 8 open at once, each ending after PER_SESSION events.
    let written = 0;
    let batch: AuditEvent[] = [];
    for (let s = 0; s < sessions && written < TOTAL; s += 8) {
      const group = Array.from({ length: Math.min(8, sessions - s) }, (_, i) => ({
        sid: `sess-${s + i}`,
        user: `user${(s + i) % USERS}`,
        db_service: `db${(s + i) % 5}`,
      }));
      for (let k = 0; k < PER_SESSION; k++) {
        for (const g of group) {
          if (written >= TOTAL) break;
          clock = T0 + written * step;
          const time = new Date(clock).toISOString();
          const type = k === 0 ? 'db.session.start' : k === PER_SESSION - 1 ? 'db.session.end' : 'db.session.query';
          const extra =
            type === 'db.session.query'
              ? { query: `SELECT c FROM sbtest WHERE id = ${written}`, query_length: 40 }
              : {};
          batch.push(makeAuditEvent(type, { ...g, time, ...extra }));
          written++;
        }
      }
      if (batch.length >= 4000) {
        await store.append(batch, { validated: true });
        batch = [];
      }
    }
    if (batch.length > 0) await store.append(batch, { validated: true });
    console.log(`built ${written} events in ${((performance.now() - built) / 1000).toFixed(1)} s in ${dir}`);

    const lastDay = new Date(T0 + (DAYS - 1) * 86_400_000);
    const user = 'user7';
    await timed(
      'full scan (gatectl audit search): user + last day, newest 100',
      () => searchAuditLog(dir, { user, since: lastDay, order: 'desc', limit: 100 }),
      (r) => `${r.length} events`,
    );
    await timed(
      'events page: user + last day, newest 100',
      () => store.searchPage({ user, since: lastDay, limit: 100 }),
      (r) => `${r.items.length} events`,
    );
    await timed(
      'events page: user, newest 100 (no time filter)',
      () => store.searchPage({ user, limit: 100 }),
      (r) => `${r.items.length} events`,
    );
    await timed(
      'sessions page: user + last day, newest 50',
      () => store.sessions({ user, since: lastDay, limit: 50 }),
      (r) => `${r.items.length} sessions`,
    );
    await timed(
      'sessions page: no filter, newest 50',
      () => store.sessions({ limit: 50 }),
      (r) => `${r.items.length} sessions`,
    );
    const deep = await store.sessions({ user, limit: 500 });
    const middle = deep.next;
    await timed(
      'sessions page: user, 50 after the newest 500 (cursor)',
      () => store.sessions({ user, limit: 50, ...(middle ? { cursor: middle } : {}) }),
      (r) => `${r.items.length} sessions`,
    );
    await timed(
      'sessions page: text filter (scans until 50 match)',
      () => store.sessions({ query: 'id = 99', limit: 50 }),
      (r) => `${r.items.length} sessions`,
    );
    await timed(
      'verify the whole chain',
      () => store.verify(),
      (r) => `ok=${r.ok}, ${r.events} events`,
    );
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
