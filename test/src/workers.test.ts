// proxy.workers: 2, end to end with a real `gatehouse start` process, a real MariaDB and mysql2
// clients: sessions spread over both workers; the connection limit counts across them; a SIGHUP
// reload, a user lock and SIGTERM's drain reach every worker; TLS tickets resume across them;
// the audit chain written from both verifies; a killed worker is replaced and loses no event.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { gatectl } from './support/cli.js';
import { sClient } from './support/s-client.js';
import { startWorkersGateway, WORKERS, workerOf } from './support/workers-gateway.js';

test('two session workers: spread, cluster-wide limit, SIGHUP, locks and SIGTERM reach both, the audit chain verifies', async (t) => {
  const g = await startWorkersGateway(t, { maxConnections: 2, queryEvents: true });
  const { ports, prefix, root, dataDir, child, exited, connect, logLines, workersLogging, auditCount, scrape, gauge } =
    g;

  // TLS resumption across workers: with nothing else open, two connections in a row go to
  // different workers (the one with fewer live connections, or the next in turn on a tie), so the
  // second resumes only if the workers share the ticket key.
  for (const flag of ['-tls1_2', '-tls1_3']) {
    const sess = join(root, `session${flag}.pem`);
    const first = await sClient(ports.mysql, { cert: `${prefix}.crt`, key: `${prefix}.key` }, [flag], {
      sessOut: sess,
    });
    assert.equal(first.session, 'New');
    const second = await sClient(ports.mysql, { cert: `${prefix}.crt`, key: `${prefix}.key` }, [flag], {
      sessIn: sess,
    });
    assert.equal(second.session, 'Reused', `${flag}: a ticket from one worker resumes on the other`);
  }
  await waitFor('the s_client connections to be closed in the workers', async () =>
    gauge(await scrape(ports.diag), 'gatehouse_proxy_connections') === 0 ? true : undefined,
  );

  // Two sessions held at once go to different workers (the fewest live connections wins).
  const a = await connect();
  const b = await connect();
  assert.deepEqual([workerOf(a), workerOf(b)].sort(), [0, 1]);
  await a.query("SELECT 'marker-before-reload'");
  await b.query("SELECT 'marker-before-reload'");
  // The proxy's /metrics adds up the workers' registries; the engine's listener too.
  await waitFor("the proxy scrape to count both workers' sessions", async () =>
    gauge(await scrape(ports.diag), 'gatehouse_proxy_connections') === 2 ? true : undefined,
  );
  assert.match(await scrape(ports.engineDiag), /^gatehouse_engine_/m);
  // Each worker has the one engine in memory: it is still one engine (it used to count twice).
  assert.equal(gauge(await scrape(ports.diag), 'gatehouse_proxy_engines'), 1);

  // max_connections: 2 holds for the proxy as a whole, not per worker.
  await assert.rejects(connect(), (err: { errno?: number }) => err.errno === 1040);

  // SIGHUP: the supervisor applies the new limit, and both workers switch query events off.
  g.writeConfig({ maxConnections: 3, queryEvents: false });
  child.kill('SIGHUP');
  await waitFor('the reload in the supervisor and both workers', () =>
    logLines('config reloaded').length >= WORKERS + 1 &&
    workersLogging('audit query events switched').length === WORKERS
      ? true
      : undefined,
  );
  const c = await connect();
  await a.query("SELECT 'marker-after-reload'");
  await b.query("SELECT 'marker-after-reload'");
  await c.query("SELECT 'marker-after-reload'");

  // A lock closes the user's sessions in every worker.
  await g.lockClosesAll({ a, b, c }, 'workers test');

  // SIGTERM drains both workers: sessions open in each go on, new ones are refused.
  const d = await waitFor('a session once alice is unlocked', () => connect().catch(() => undefined));
  const e = await connect();
  assert.deepEqual([workerOf(d), workerOf(e)].sort(), [0, 1]);
  child.kill('SIGTERM');
  await waitFor('the supervisor to drain', () => (logLines('draining').length === 1 ? true : undefined));
  await waitFor('both workers to drain', () =>
    workersLogging('session worker draining').length === WORKERS ? true : undefined,
  );
  await d.query("SELECT 'marker-during-drain'");
  await e.query("SELECT 'marker-during-drain'");
  await assert.rejects(connect());
  await d.end();
  await e.end();
  assert.equal(await exited, 0);
  assert.deepEqual(workersLogging('session worker stopped'), [0, 1]);

  // Both workers' events are in the one chain, which verifies.
  assert.equal(await auditCount(['--query', 'marker-before-reload']), 2);
  assert.equal(await auditCount(['--query', 'marker-after-reload']), 0);
  assert.equal(await auditCount(['--type', 'db.session.end']), 5);
  const verify = await gatectl(dataDir, ['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});

test('a killed session worker is replaced at its index: its slots are freed, its events are kept, the chain verifies', async (t) => {
  const g = await startWorkersGateway(t, { maxConnections: 2, queryEvents: true });
  const a = await g.connect();
  const b = await g.connect();
  t.after(() => b.end().catch(() => {}));
  assert.notEqual(workerOf(a), workerOf(b));
  const victim = workerOf(a);
  await a.query("SELECT 'marker-before-kill'");
  const pid = g.workerPid(victim);
  assert.ok(pid !== undefined, `worker ${victim} logged its pid`);
  process.kill(pid, 'SIGKILL');
  await waitFor('the killed worker to be started again', () =>
    g.logLines('session worker ready').filter((l) => l.worker === victim && l.pid !== pid).length === 1
      ? true
      : undefined,
  );
  await assert.rejects(a.query('SELECT 1'));
  a.destroy();
  // max_connections is 2 and b holds one: the killed worker's slot was freed, and the new
  // worker, with no live connection, takes the session.
  const c = await waitFor('a session once the slot is free', () => g.connect().catch(() => undefined));
  assert.equal(workerOf(c), victim);
  await c.query("SELECT 'marker-after-kill'");
  await c.end();
  await b.end();
  // Forwarded before the kill or replayed from the worker's spool by its successor: either way, in.
  await waitFor('both markers in the audit log', async () =>
    (await g.auditCount(['--query', 'marker-before-kill'])) === 1 &&
    (await g.auditCount(['--query', 'marker-after-kill'])) === 1
      ? true
      : undefined,
  );
  const verify = await gatectl(g.dataDir, ['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});
