// The PostgreSQL backends against the file ones, in one run on one machine:
//   1. audit append throughput (64 concurrent callers, one event each; and a batching sink),
//      JSONL files (O_DSYNC group commit) vs PostgreSQL (group commit per transaction), both
//      durable: the server runs with fsync and synchronous_commit on;
//   2. audit search latency over 1M events, user + one-day time filter (indexed on PostgreSQL,
//      a scan of the files);
//   3. lock propagation between two processes' stores: lockUser on one, the other's watch fires
//      (LISTEN/NOTIFY; the re-read fallback is set far out so it cannot be what fired).
// Run: npm run build && npm run bench:postgres -w bench   (env PG_BENCH_EVENTS, PG_BENCH_SEARCH_EVENTS)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type AuditStore,
  openJsonlAuditStore,
  openPostgresAuditStore,
  openPostgresBackend,
  openPostgresStorage,
  openStore,
} from '@gatehouse/auth';
import { type AuditEvent, type AuditSession, createAudit, createBatchingSink } from '@gatehouse/common';
import { startPostgres } from '@gatehouse/testing';

const TOTAL = Number(process.env.PG_BENCH_EVENTS ?? 50_000);
const SEARCH_TOTAL = Number(process.env.PG_BENCH_SEARCH_EVENTS ?? 1_000_000);
const CALLERS = 64;
const USERS = 100;
const DAYS = 30;

const session: AuditSession = {
  id: 'bench-session',
  user: 'alice',
  roles: ['dev'],
  dbService: 'local-mariadb',
  dbUser: 'app_ro',
  dbName: 'app',
  clientAddr: '127.0.0.1:50000',
  engineId: 'engine-1',
  proxyId: 'proxy-1',
  threadId: 7,
  clientAttributes: { _program_name: 'sysbench' },
};

function makeEvents(count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  const audit = createAudit({ sink: { emit: (e) => events.push(e as AuditEvent) } });
  for (let i = 0; i < count; i++)
    audit.onQuery(session, `SELECT c FROM sbtest1 WHERE id=${i}`, { kind: 'rows', rows: 1 }, 0.2);
  return events;
}

function rate(events: number, ms: number): number {
  return Math.round((events / ms) * 1000);
}

async function concurrentAppends(store: AuditStore, events: readonly AuditEvent[]): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < events.length) await store.append([events[next++]!], { validated: true });
    }),
  );
  return rate(events.length, performance.now() - start);
}

async function sinkAppends(store: AuditStore, count: number): Promise<number> {
  const sink = createBatchingSink({ deliver: async (batch) => void (await store.append(batch, { validated: true })) });
  const audit = createAudit({ sink });
  const start = performance.now();
  for (let i = 0; i < count; i++)
    audit.onQuery(session, `SELECT c FROM sbtest1 WHERE id=${i}`, { kind: 'rows', rows: 1 }, 0.2);
  await sink.flush();
  return rate(count, performance.now() - start);
}

async function timeSearches(
  store: Pick<AuditStore, 'search'>,
  runs: number,
): Promise<{ median: number; max: number; found: number }> {
  const times: number[] = [];
  let found = 0;
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < runs; i++) {
    const day = (i * 7) % DAYS;
    const start = performance.now();
    const events = await store.search({
      user: `user${(i * 13) % USERS}`,
      since: new Date(base + day * 86_400_000),
      until: new Date(base + (day + 1) * 86_400_000),
      limit: 1000,
    });
    times.push(performance.now() - start);
    found += events.length;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]!, found: found / runs };
}

const root = mkdtempSync(join(tmpdir(), 'gatehouse-pg-bench-'));
const pg = await startPostgres({ shared: false, durable: true });
try {
  console.log(
    `PostgreSQL vs file backends: node ${process.version}, ${TOTAL} events for appends, ${SEARCH_TOTAL} for search`,
  );

  // 1. Append throughput.
  const events = makeEvents(TOTAL);
  const file = await openJsonlAuditStore({ dir: join(root, 'append') });
  const fileRate = await concurrentAppends(file, events);
  const fileSink = await sinkAppends(file, TOTAL);
  await file.close();
  const storage = await openPostgresStorage({ url: await pg.createDatabase('append'), maxConnections: 4 });
  const pgStore = await openPostgresAuditStore({ sql: storage.sql, writerId: 'bench' });
  const pgRate = await concurrentAppends(
    pgStore,
    events.map((e) => ({ ...e, uid: crypto.randomUUID() })),
  );
  const pgSink = await sinkAppends(pgStore, TOTAL);
  await pgStore.close();
  await storage.close();
  console.log(
    `audit append, ${CALLERS} callers x 1 event:  file ${fileRate} events/s, postgres ${pgRate} events/s (postgres/file ${(pgRate / fileRate).toFixed(2)})`,
  );
  console.log(
    `audit append, batching sink:          file ${fileSink} events/s, postgres ${pgSink} events/s (postgres/file ${(pgSink / fileSink).toFixed(2)})`,
  );

  // 2. Search over SEARCH_TOTAL events: load in big batches, then time user + day queries.
  const searchStorage = await openPostgresStorage({ url: await pg.createDatabase('search'), maxConnections: 4 });
  const searchStore = await openPostgresAuditStore({ sql: searchStorage.sql, writerId: 'bench-search' });
  const fileSearch = await openJsonlAuditStore({ dir: join(root, 'search') });
  const loadStart = performance.now();
  for (let done = 0; done < SEARCH_TOTAL; done += 10_000) {
    const batch = makeEvents(Math.min(10_000, SEARCH_TOTAL - done)).map((e, i) => ({
      ...e,
      user: `user${(done + i) % USERS}`,
      time: new Date(
        Date.parse('2026-01-01T00:00:00Z') + Math.floor(((done + i) / SEARCH_TOTAL) * DAYS * 86_400_000),
      ).toISOString(),
    }));
    await Promise.all([searchStore.append(batch, { validated: true }), fileSearch.append(batch, { validated: true })]);
  }
  console.log(
    `loaded ${SEARCH_TOTAL} events into both stores in ${((performance.now() - loadStart) / 1000).toFixed(0)} s`,
  );
  await searchStorage.sql.query('ANALYZE gh_audit');
  const pgSearch = await timeSearches(searchStore, 20);
  const fileTimes = await timeSearches(fileSearch, 3);
  console.log(
    `audit search, user + 1-day window over ${SEARCH_TOTAL}: postgres median ${pgSearch.median.toFixed(1)} ms (max ${pgSearch.max.toFixed(1)} ms, ${pgSearch.found} events each), file median ${fileTimes.median.toFixed(0)} ms`,
  );
  await searchStore.close();
  await fileSearch.close();
  await searchStorage.close();

  // 3. Lock propagation between two processes' views of one store.
  const url = await pg.createDatabase('locks');
  const a = await openStore({ dataDir: '', backend: await openPostgresBackend({ url }) });
  const b = await openStore({ dataDir: '', backend: await openPostgresBackend({ url }) });
  await a.putRole({ kind: 'role', name: 'dev' });
  await a.addUser({ name: 'alice', roles: ['dev'] });
  const delays: number[] = [];
  // Only the LISTEN socket (unref'd so it never holds a process open) would wake us: keep the loop alive.
  const keepAlive = setInterval(() => undefined, 1000);
  for (let i = 0; i < 20; i++) {
    const since = await b.version();
    let started = 0;
    const seen = new Promise<number>((resolve) => {
      const w = b.watch(
        () => {
          w.close();
          resolve(performance.now() - started);
        },
        { since, intervalMs: 600_000 },
      );
    });
    // The watch subscribes asynchronously; give LISTEN its first round trip.
    await new Promise((r) => setTimeout(r, 50));
    started = performance.now();
    if (i % 2 === 0) await a.lockUser({ user: 'alice', message: 'bench' });
    else await a.unlockUser('alice');
    delays.push(await seen);
  }
  clearInterval(keepAlive);
  delays.sort((x, y) => x - y);
  console.log(
    `lock propagation store→store (LISTEN/NOTIFY): median ${delays[10]!.toFixed(1)} ms, max ${delays[19]!.toFixed(1)} ms; engines add their cluster.state poll (every 2 s)`,
  );
  await a.close();
  await b.close();
} finally {
  await pg.stop();
  rmSync(root, { recursive: true, force: true });
}
