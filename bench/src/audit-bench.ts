// Audit store throughput: how many events per second the JSONL store appends with group
// commit, when many sessions append one event at a time, and when a batching sink feeds it.
// And the engine's whole one-process path (Audit → write-ahead sink → spool → forwarder →
// store), fed a few events per event-loop turn as the relay does, in CPU µs per event
// (process.cpuUsage, so the thread pool's share counts too).
// Run: npm run bench:audit -w bench   (env AUDIT_BENCH_EVENTS, AUDIT_BENCH_CALLERS)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openJsonlAuditStore } from '@gatehouse/auth';
import { type AuditSession, createAudit, createBatchingSink } from '@gatehouse/common';
import { openAuditSpool, startSpoolPipeline } from '@gatehouse/engine';

const TOTAL = Number(process.env.AUDIT_BENCH_EVENTS ?? 50_000);
const CALLERS = Number(process.env.AUDIT_BENCH_CALLERS ?? 64);

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

function report(name: string, events: number, ms: number, extra: string): void {
  const rate = Math.round((events / ms) * 1000);
  console.log(`${name.padEnd(44)} ${String(rate).padStart(8)} events/s  (${events} in ${ms.toFixed(0)} ms; ${extra})`);
}

async function concurrentCallers(dir: string): Promise<void> {
  const store = await openJsonlAuditStore({ dir });
  const events: unknown[] = [];
  const audit = createAudit({ sink: { emit: (e) => events.push(e) } });
  for (let i = 0; i < TOTAL; i++)
    audit.onQuery(session, `SELECT c FROM sbtest1 WHERE id=${i}`, { kind: 'rows', rows: 1 }, 0.2);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < events.length) await store.append([events[next++] as never]);
    }),
  );
  const ms = performance.now() - start;
  const s = store.stats();
  report(
    `store.append, ${CALLERS} concurrent callers, 1 event each`,
    s.events,
    ms,
    `${s.syncs} fsyncs, ${(s.events / s.syncs).toFixed(1)} events/fsync`,
  );
  await store.close();
}

async function batchingSink(dir: string): Promise<void> {
  const store = await openJsonlAuditStore({ dir });
  const sink = createBatchingSink({ deliver: async (batch) => void (await store.append(batch)) });
  const audit = createAudit({ sink });
  const start = performance.now();
  for (let i = 0; i < TOTAL; i++)
    audit.onQuery(session, `SELECT c FROM sbtest1 WHERE id=${i}`, { kind: 'rows', rows: 1 }, 0.2);
  const emitted = performance.now() - start;
  await sink.flush();
  const ms = performance.now() - start;
  const s = store.stats();
  report(
    'Audit.onQuery → batching sink → store',
    s.events,
    ms,
    `${s.syncs} fsyncs; emit alone ${((emitted * 1e6) / TOTAL).toFixed(0)} ns/event`,
  );
  await store.close();
}

const quiet = () => undefined;
const silentLog = { warn: quiet, error: quiet, debug: quiet, info: quiet } as unknown as Parameters<
  typeof startSpoolPipeline
>[0]['log'];

async function enginePipeline(dir: string, perTurn: number): Promise<void> {
  const store = await openJsonlAuditStore({ dir: join(dir, 'audit') });
  const spool = await openAuditSpool({ dir: join(dir, 'spool') });
  const pipeline = startSpoolPipeline({
    spool,
    send: async (events, read) => {
      await store.append(events, { validated: read.fromMemory, canonical: read.canonical });
    },
    log: silentLog,
    drainOnCloseMs: 60_000,
  });
  const audit = createAudit({ sink: pipeline.sink });
  const cpu = process.cpuUsage();
  const start = performance.now();
  let i = 0;
  while (i < TOTAL) {
    for (let k = 0; k < perTurn && i < TOTAL; k++, i++)
      audit.onQuery(session, `SELECT c FROM sbtest1 WHERE id=${i}`, { kind: 'rows', rows: 1 }, 0.2);
    // The relay waits for the write gate before releasing replies; the next commands come after.
    await new Promise<void>((resolve) => pipeline.sink.afterWrite(resolve));
  }
  await pipeline.close();
  await spool.close();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const s = store.stats();
  report(
    `engine path, ${perTurn} events per turn`,
    s.events,
    ms,
    `${((used.user + used.system) / s.events).toFixed(2)} µs CPU per event, ${s.syncs} store syncs`,
  );
  await store.close();
}

const root = mkdtempSync(join(tmpdir(), 'gatehouse-audit-bench-'));
try {
  console.log(`audit store benchmark: ${TOTAL} events, node ${process.version}, data in ${tmpdir()}`);
  await concurrentCallers(join(root, 'a'));
  await batchingSink(join(root, 'b'));
  await enginePipeline(join(root, 'c'), 4);
  await enginePipeline(join(root, 'd'), 16);
} finally {
  rmSync(root, { recursive: true, force: true });
}
