// Memory per idle session and connection rate, with mysql2 over TLS with the client cert.
import type { Connection } from 'mysql2/promise';
import { waitFor } from '../child.js';
import { createSessionFactory, type SessionFactory } from '../mysql-client.js';
import { readSettledRssKiB } from '../proc-stats.js';
import { type MetricSpec, metricIds, type Results, recordFailure, recordValue } from '../results.js';
import { errorText, type LiveTarget, type MeasureContext, rotate } from './context.js';

/** Sessions opened at once while filling up; bounded so no target sees a connect storm. */
const OPEN_CONCURRENCY = 32;

async function openSessions(factory: SessionFactory, count: number): Promise<Connection[]> {
  const open: Connection[] = [];
  let next = 0;
  let failure: unknown;
  async function worker(): Promise<void> {
    while (next < count && failure === undefined) {
      next++;
      try {
        const conn = await factory.open();
        open.push(conn);
        // A session is only "open" once a query has crossed every hop (and the engine's leg).
        await conn.query('SELECT 1');
      } catch (err) {
        failure ??= err;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker));
  if (failure !== undefined) {
    await closeSessions(open);
    throw new Error(`opening ${count} sessions failed after ${open.length}: ${errorText(failure)}`, { cause: failure });
  }
  return open;
}

/**
 * For finding what a session holds, by hand: with BENCH_HEAP_SNAPSHOTS=1 and the gateway started
 * with BENCH_GATEHOUSE_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR", each
 * target process writes a heap snapshot at N and at 2N sessions (compare them by constructor).
 */
async function takeHeapSnapshots(pids: readonly number[]): Promise<void> {
  if (process.env.BENCH_HEAP_SNAPSHOTS !== '1') return;
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  // Writing a snapshot stops the process; the RSS settles again once it is done.
  await readSettledRssKiB(pids, 30_000);
}

async function closeSessions(sessions: Connection[]): Promise<void> {
  for (let i = 0; i < sessions.length; i += OPEN_CONCURRENCY) {
    await Promise.all(sessions.slice(i, i + OPEN_CONCURRENCY).map((c) => c.end().catch(() => c.destroy())));
  }
}

async function waitForServerSessions(ctx: MeasureContext, atMost: number): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await ctx.db.db.sql("SHOW GLOBAL STATUS LIKE 'Threads_connected'");
      return Number(row?.Value ?? Number.POSITIVE_INFINITY) <= atMost;
    },
    60_000,
    `MariaDB to drop to ${atMost} sessions`,
  );
}

/**
 * RSS a target's processes add per idle session: N sessions are opened first and kept (warm-up),
 * then N more, and only the second N count. The first N grow what a process grows once, whatever
 * the number of sessions after (the V8 heap and malloc arenas sized by N concurrent handshakes,
 * code, pools, caches): counted in, they made this figure swing by ±40 KiB per session between
 * runs of the same code at 200 sessions (docs/performance.md, "Memory per idle session (issue 13)").
 */
export async function measureIdleMemory(ctx: MeasureContext, results: Results): Promise<void> {
  const n = ctx.profile.idleSessions;
  // For direct these are MariaDB's own figures: a reference, not a ratio's denominator.
  const perSession = {
    id: metricIds.idleKiB,
    label: `memory per idle session (${n} sessions after ${n} warm-up sessions)`,
    unit: 'KiB',
    digits: 1,
    noRatio: true,
  } as const;
  const base = { id: metricIds.idleBase, label: 'RSS at 0 sessions', unit: 'MiB', digits: 1, noRatio: true } as const;
  const [row] = await ctx.db.db.sql("SHOW GLOBAL STATUS LIKE 'Threads_connected'");
  // Gateways' health checks may hold a few sessions of their own at any moment.
  const idleServerSessions = Number(row?.Value ?? 0) + 8;
  for (const { target, endpoint } of ctx.live) {
    const pids = target.pids();
    const sessions: Connection[] = [];
    try {
      // Every target starts from the same place: the last one's sessions are gone.
      await waitForServerSessions(ctx, idleServerSessions);
      const atZero = await readSettledRssKiB(pids);
      const factory = createSessionFactory(endpoint);
      sessions.push(...(await openSessions(factory, n)));
      const before = await readSettledRssKiB(pids);
      await takeHeapSnapshots(pids);
      sessions.push(...(await openSessions(factory, n)));
      const after = await readSettledRssKiB(pids);
      await takeHeapSnapshots(pids);
      const kib = (after - before) / n;
      recordValue(results, base, target.name, atZero / 1024);
      recordValue(results, perSession, target.name, kib);
      ctx.log(
        `idle memory ${target.name}: ${(atZero / 1024).toFixed(1)} MiB at 0, ${(before / 1024).toFixed(1)} MiB at ${n}, ${kib.toFixed(1)} KiB per session from ${n} to ${2 * n}`,
      );
    } catch (err) {
      recordFailure(results, perSession, target.name, errorText(err));
      ctx.log(`idle memory ${target.name}: failed: ${errorText(err)}`);
    } finally {
      await closeSessions(sessions);
    }
  }
}

/** Rounds of the connect-rate runs: each target runs once per round, in a rotated order. */
const CONNECT_ROUNDS = 2;

interface RateRun {
  readonly metric: MetricSpec;
  /** The column the figure goes in. */
  readonly column: string;
  readonly factory: SessionFactory;
  readonly values: number[];
  failure?: string;
}

/**
 * New sessions per second with full TLS handshakes and with resumed TLS sessions (mysql2 offering
 * the session of an earlier connection, as its pools do), for every target; and the one-process
 * gateway once more with databases[].tls.resumption false, for what database-leg resumption saves
 * (its figures go in gatehouse-1proc's column, on rows of their own). Every run happens once per
 * round, in a rotated order, so the machine's drifting load falls on all of them alike.
 */
export async function measureConnectRate(ctx: MeasureContext, results: Results): Promise<void> {
  const what = `${ctx.profile.connectClients} clients: connect, SELECT 1, quit`;
  const full = {
    id: metricIds.connectRate,
    label: `new sessions/s, full TLS handshakes (${what})`,
    unit: '/s',
    digits: 0,
  };
  const resumed = {
    id: metricIds.connectRateResumed,
    label: `new sessions/s, TLS sessions resumed (${what})`,
    unit: '/s',
    digits: 0,
  };
  const runs: RateRun[] = [];
  for (const { target, endpoint } of ctx.live) {
    runs.push({ metric: full, column: target.name, factory: createSessionFactory(endpoint), values: [] });
    runs.push({
      metric: resumed,
      column: target.name,
      factory: createSessionFactory(endpoint, { resumeTls: true }),
      values: [],
    });
  }
  let off: LiveTarget | undefined;
  if (ctx.live.some((l) => l.target.name === 'gatehouse-1proc')) {
    const offFull = {
      id: metricIds.connectRateNoDbResume,
      label: `gatehouse-1proc with database-leg TLS resumption off: full client TLS (${what})`,
      unit: '/s',
      digits: 0,
    };
    const offResumed = {
      id: metricIds.connectRateResumedNoDbResume,
      label: `gatehouse-1proc with database-leg TLS resumption off: resumed client TLS (${what})`,
      unit: '/s',
      digits: 0,
    };
    try {
      off = await ctx.startExtra('gatehouse-1proc-nodbresume');
      runs.push({
        metric: offFull,
        column: 'gatehouse-1proc',
        factory: createSessionFactory(off.endpoint),
        values: [],
      });
      runs.push({
        metric: offResumed,
        column: 'gatehouse-1proc',
        factory: createSessionFactory(off.endpoint, { resumeTls: true }),
        values: [],
      });
    } catch (err) {
      recordFailure(results, offResumed, 'gatehouse-1proc', errorText(err));
      ctx.log(`connect rate without database-leg resumption: ${errorText(err)}`);
    }
  }
  // Automatic database users (docs/db-users.md): every connect makes or unlocks the person's
  // user under a GET_LOCK, and the last disconnect locks it; clients share one person.
  let auto: LiveTarget | undefined;
  if (ctx.live.some((l) => l.target.name === 'gatehouse-1proc')) {
    const autoMetric = {
      id: metricIds.connectRateAutoUser,
      label: `gatehouse-1proc with create_db_user: full client TLS (${what})`,
      unit: '/s',
      digits: 0,
    };
    try {
      auto = await ctx.startExtra('gatehouse-1proc-autouser');
      runs.push({
        metric: autoMetric,
        column: 'gatehouse-1proc',
        factory: createSessionFactory(auto.endpoint),
        values: [],
      });
    } catch (err) {
      recordFailure(results, autoMetric, 'gatehouse-1proc', errorText(err));
      ctx.log(`connect rate with automatic database users: ${errorText(err)}`);
    }
  }
  try {
    for (let round = 0; round < CONNECT_ROUNDS; round++) {
      for (const run of rotate(runs, round)) {
        if (run.failure !== undefined) continue;
        const rate = await measureRate(ctx, run.factory);
        if (typeof rate === 'string') run.failure = rate;
        else run.values.push(rate);
        ctx.log(
          `connect rate ${run.column}, ${run.metric.label.split(' (')[0]}: ${typeof rate === 'string' ? rate : `${rate.toFixed(0)}/s`}`,
        );
      }
    }
  } finally {
    await off?.target.stop();
    await auto?.target.stop();
  }
  for (const run of runs) {
    if (run.failure !== undefined) recordFailure(results, run.metric, run.column, run.failure);
    else recordValue(results, run.metric, run.column, run.values.reduce((a, b) => a + b, 0) / run.values.length);
  }
}

/** Sessions per second over `connectSeconds`, after an untimed warm-up; a string says why not. */
async function measureRate(ctx: MeasureContext, factory: SessionFactory): Promise<number | string> {
  const clients = ctx.profile.connectClients;
  // Untimed first second: JIT, TLS session setup paths and MariaDB's thread cache warm up, so
  // the first target measured is not the one that pays for it.
  const warm = await churnSessions(factory, clients, 1_000);
  const run =
    warm.failure === undefined ? await churnSessions(factory, clients, ctx.profile.connectSeconds * 1000) : warm;
  if (run.failure !== undefined) return `after ${run.done} sessions: ${errorText(run.failure)}`;
  return run.done / run.seconds;
}

/** `clients` loops of connect, SELECT 1, quit for `ms`; the first error stops every loop. */
async function churnSessions(
  factory: SessionFactory,
  clients: number,
  ms: number,
): Promise<{ done: number; seconds: number; failure: unknown }> {
  const deadline = Date.now() + ms;
  let done = 0;
  let failure: unknown;
  const started = process.hrtime.bigint();
  async function worker(): Promise<void> {
    while (Date.now() < deadline && failure === undefined) {
      try {
        const conn = await factory.open();
        await conn.query('SELECT 1');
        await conn.end();
        done++;
      } catch (err) {
        failure ??= err;
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, worker));
  return { done, seconds: Number(process.hrtime.bigint() - started) / 1e9, failure };
}
