// Workers in the split shape, end to end: auth + proxy with proxy.workers: 2 in one `gatehouse
// start`, an engine with engine.workers: 2 in another (joined with a token), a real MariaDB and
// mysql2 clients. Each proxy worker takes engine tunnels of its own and each engine worker
// dials every proxy worker, so: sessions spread over both proxy workers; the connection limit
// counts across them; the Live page, `gatectl db ls` and gatehouse_proxy_engines see all workers;
// a SIGHUP, a user lock and SIGTERM's drain reach every worker of both processes; the audit chain
// written from all four verifies.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { gatectl, gatectlOk } from './support/cli.js';
import type { Cluster } from './support/cluster.js';
import { addAuditUsers, hostCaPem, signIn } from './support/web-client.js';
import { startWorkersGateway, WORKERS, workerOf } from './support/workers-gateway.js';

test('split shape with 2 proxy and 2 engine workers: spread, cluster-wide limit, Live page, db ls, SIGHUP, locks and SIGTERM reach all, the chain verifies', async (t) => {
  const g = await startWorkersGateway(t, { maxConnections: 2, queryEvents: true }, { split: true });
  const { ports, dataDir, connect, logLines, workersLogging, auditCount, scrape, gauge } = g;

  // Every proxy worker's registry holds both engine workers (each writes its own db ls snapshot).
  await waitFor('both proxy workers to list both engine workers', () => {
    const files = readdirSync(join(dataDir, 'run')).filter((f) => /^proxy-.+\.w\d+\.json$/.test(f));
    const full = files.filter((f) => {
      const snap = JSON.parse(readFileSync(join(dataDir, 'run', f), 'utf8')) as {
        databases: { name: string; engines: { engineId: string }[] }[];
      };
      return snap.databases.find((d) => d.name === 'alpha')?.engines.length === WORKERS;
    });
    return full.length === WORKERS ? true : undefined;
  });
  const ls = JSON.parse(await gatectlOk(dataDir, ['db', 'ls', '--format', 'json'])) as {
    name: string;
    engines: { engineId: string }[];
  }[];
  assert.deepEqual(
    ls
      .find((r) => r.name === 'alpha')
      ?.engines.map((e) => e.engineId)
      .sort(),
    ['engine-w#0', 'engine-w#1'],
  );
  // One engine (in two workers), seen by both proxy workers: counted once.
  assert.equal(gauge(await scrape(ports.diag), 'gatehouse_proxy_engines'), 1);

  // Two sessions held at once go to different proxy workers.
  const a = await connect();
  const b = await connect();
  assert.deepEqual([workerOf(a), workerOf(b)].sort(), [0, 1]);
  await a.query("SELECT 'marker-before-reload'");
  await b.query("SELECT 'marker-before-reload'");
  // max_connections: 2 holds for the proxy as a whole.
  await assert.rejects(connect(), (err: { errno?: number }) => err.errno === 1040);

  // The Live page lists the sessions of both workers.
  const cluster = { webPort: ports.web, dataDir, gatectl: (args: readonly string[]) => gatectl(dataDir, args) };
  await addAuditUsers(cluster as unknown as Cluster, [['auditor', 'e2e-auditor']]);
  const auditor = await signIn(
    cluster as unknown as Cluster,
    await hostCaPem(cluster as unknown as Cluster),
    'auditor',
  );
  const live = await waitFor('both sessions on the Live page', async () => {
    const items = (await auditor.get('/v1/audit/live')).json.items as { sid: string; user: string }[];
    return items.filter((i) => i.user === 'alice').length === 2 ? items : undefined;
  });
  assert.equal(new Set(live.map((i) => i.sid)).size, 2);

  // SIGHUP to both processes: the proxy's supervisor applies the new limit, every worker of
  // both processes reloads, and the engine workers switch query events off.
  g.writeConfig({ maxConnections: 3, queryEvents: false });
  g.signalAll('SIGHUP');
  await waitFor('the reload in both supervisors and all four workers', () =>
    logLines('config reloaded').length >= WORKERS + 1 &&
    logLines('config reloaded', 'engine').length >= WORKERS + 1 &&
    workersLogging('audit query events switched', 'engine').length === WORKERS
      ? true
      : undefined,
  );
  const c = await connect();
  for (const s of [a, b, c]) await s.query("SELECT 'marker-after-reload'");

  // Terminate from the Live page: the supervisor finds the worker that runs the session, whose
  // engine ends it; mysql2 reports the unsolicited ERR as an 'error' event.
  const closed = Promise.race(
    [a, b].map(
      (s) => new Promise<{ s: typeof s; err: Error }>((resolve) => s.once('error', (err) => resolve({ s, err }))),
    ),
  );
  const victim = live[0]!.sid;
  const r = await auditor.post(`/v1/audit/live/${victim}/terminate`, { reason: 'split workers test' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.via, 'engine');
  const { err: terminatedErr } = await closed;
  assert.match(terminatedErr.message, /terminated by auditor: split workers test/);
  assert.equal((await auditor.post(`/v1/audit/live/${victim}/terminate`, { reason: 'again' })).status, 404);

  // A lock closes the user's sessions in every worker.
  await g.lockClosesAll({ a, b, c }, 'split workers test');

  // SIGTERM to both: sessions open in each proxy worker go on through the grace period, new
  // ones are refused, and every worker of both processes drains and stops.
  const d = await waitFor('a session once alice is unlocked', () => connect().catch(() => undefined));
  const e = await connect();
  assert.deepEqual([workerOf(d), workerOf(e)].sort(), [0, 1]);
  g.signalAll('SIGTERM');
  await waitFor('all workers to drain', () =>
    workersLogging('session worker draining').length === WORKERS &&
    workersLogging('session worker draining', 'engine').length === WORKERS
      ? true
      : undefined,
  );
  await d.query("SELECT 'marker-during-drain'");
  await e.query("SELECT 'marker-during-drain'");
  await assert.rejects(connect());
  await d.end();
  await e.end();
  assert.equal(await g.exited, 0);
  assert.equal(await g.engineExited, 0);
  assert.deepEqual(workersLogging('session worker stopped'), [0, 1]);
  assert.deepEqual(workersLogging('session worker stopped', 'engine'), [0, 1]);

  // The ends of the sessions that outlived the drain may still sit in the engine workers'
  // spools (the proxy stopped before it was sent them): started again, each engine worker
  // delivers its own spool. Every worker's events are then in the one chain, none lost.
  const again = g.startAgain();
  await waitFor(
    'the five session ends in the audit log',
    async () => ((await auditCount(['--type', 'db.session.end'])) === 5 ? true : undefined),
    60_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${again.output()}`);
  });
  assert.equal(await auditCount(['--query', 'marker-before-reload']), 2);
  assert.equal(await auditCount(['--query', 'marker-after-reload']), 0);
  const verify = await gatectl(dataDir, ['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});

test('split shape: a killed proxy worker and a killed engine worker are replaced; engines reach the new proxy worker; no event is lost', async (t) => {
  const g = await startWorkersGateway(t, { maxConnections: 10, queryEvents: true }, { split: true });
  const { connect, logLines, auditCount, dataDir } = g;
  const pidOf = (index: number, of: 'proxy' | 'engine'): number =>
    logLines('session worker ready', of).findLast((l) => l.worker === index)?.pid as number;
  const readyCount = (index: number, of: 'proxy' | 'engine'): number =>
    logLines('session worker ready', of).filter((l) => l.worker === index).length;

  const a = await connect();
  await a.query("SELECT 'marker-before-kill'");
  const proxyVictim = workerOf(a);
  process.kill(pidOf(proxyVictim, 'proxy'), 'SIGKILL');
  process.kill(pidOf(1, 'engine'), 'SIGKILL');
  await waitFor('both killed workers to be started again', () =>
    readyCount(proxyVictim, 'proxy') === 2 && readyCount(1, 'engine') === 2 ? true : undefined,
  );
  await assert.rejects(a.query('SELECT 1'));
  a.destroy();
  // Sessions on both proxy workers, the new one included, reach an engine again.
  const sessions = await waitFor('a session on each proxy worker', async () => {
    const pair = await Promise.allSettled([connect(), connect()]);
    const open = pair.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
    const ok = await Promise.all(
      open.map((s) =>
        s.query("SELECT 'marker-after-kill'").then(
          () => true,
          () => false,
        ),
      ),
    );
    if (open.length === 2 && ok.every(Boolean) && new Set(open.map(workerOf)).size === 2) return open;
    for (const s of open) s.destroy();
    return undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${g.output()}`);
  });
  for (const s of sessions) await s.end();
  await waitFor('the markers in the audit log', async () =>
    (await auditCount(['--query', 'marker-before-kill'])) === 1 &&
    (await auditCount(['--query', 'marker-after-kill'])) >= 2
      ? true
      : undefined,
  );
  const verify = await gatectl(dataDir, ['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});
