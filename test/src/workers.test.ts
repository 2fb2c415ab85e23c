// proxy.workers: 2, end to end with a real `gatehouse start` process, a real MariaDB and mysql2
// clients: sessions spread over both workers; the connection limit counts across them; a SIGHUP
// reload, a user lock and SIGTERM's drain reach every worker; the audit chain written from both
// verifies. A session's worker is read from its connection id: worker i hands out i+1, i+1+n, ...
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findFreePort, startMariaDb, waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { gatectl, gatectlOk, startGatehouse } from './support/cli.js';
import { sClient } from './support/s-client.js';

const WORKERS = 2;

interface Settings {
  readonly maxConnections: number;
  readonly queryEvents: boolean;
}

const workerOf = (connection: mysql.Connection): number => (connection.threadId - 1) % WORKERS;

test('two session workers: spread, cluster-wide limit, SIGHUP, locks and SIGTERM reach both, the audit chain verifies', async (t) => {
  const db = await startMariaDb();
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'data');
  const dbUser = db.uniqueName('workers');
  const schema = db.uniqueName('workers_db');
  const env = `GH_TEST_WORKERS_${dbUser.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  process.env[env] = `pw-${dbUser}`;
  await db.sql(`CREATE DATABASE ${schema}; CREATE USER '${dbUser}'@'%' IDENTIFIED BY 'pw-${dbUser}'; GRANT ALL ON ${schema}.* TO '${dbUser}'@'%'`);
  t.after(() => db.sql(`DROP USER IF EXISTS '${dbUser}'@'%'; DROP DATABASE IF EXISTS ${schema}`).catch(() => {}));

  await gatectlOk(dataDir, ['ca', 'init']);
  const roleFile = join(root, 'role.yaml');
  writeFileSync(roleFile, `kind: role\nname: workers\nallow: { db_labels: { env: dev }, db_users: [${dbUser}], db_names: ['*'] }\n`);
  await gatectlOk(dataDir, ['roles', 'create', '-f', roleFile]);
  await gatectlOk(dataDir, ['users', 'add', 'alice', '--roles', 'workers']);

  const ports = { mysql: await findFreePort(), web: await findFreePort(), diag: await findFreePort(), engineDiag: await findFreePort() };
  const configFile = join(root, 'gatehouse.yaml');
  const writeConfig = (s: Settings): void =>
    writeFileSync(
      configFile,
      `version: v1
data_dir: ${JSON.stringify(dataDir)}
proxy:
  workers: ${WORKERS}
  mysql_listen: 127.0.0.1:${ports.mysql}
  web_listen: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:${ports.diag}
  public_addr: [localhost, 127.0.0.1]
  limits: { max_connections: ${s.maxConnections} }
engine:
  proxy_addr: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:${ports.engineDiag}
  databases:
    - name: alpha
      uri: 127.0.0.1:${db.port}
      labels: { env: dev }
      tls: { mode: verify-ca, ca_file: ${JSON.stringify(db.ca.caFile)} }
      auth: { mode: password, credentials: { ${dbUser}: { password_env: ${env} } } }
audit: { query_events: ${s.queryEvents} }
`,
    );
  writeConfig({ maxConnections: 2, queryEvents: true });
  const gatehouse = startGatehouse(configFile);
  const child = gatehouse.child;
  t.after(() => stopChild(child));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logLines = (msg: string): Record<string, unknown>[] =>
    gatehouse
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === msg);
  /** The workers (by index) that have logged `msg`; the supervisor's own lines carry no index. */
  const workersLogging = (msg: string): number[] =>
    [...new Set(logLines(msg).flatMap((l) => (typeof l.worker === 'number' ? [l.worker] : [])))].sort();

  await waitFor('db ls to show alpha healthy', async () => {
    if (child.exitCode !== null) throw new Error(`gatehouse exited:\n${gatehouse.output()}`);
    const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
    if (out.code !== 0) return undefined;
    const rows = JSON.parse(out.stdout) as Array<{ name: string; health: string }>;
    return rows.some((r) => r.name === 'alpha' && r.health === 'healthy') ? true : undefined;
  }, 60_000);

  const prefix = join(root, 'alice');
  await gatectlOk(dataDir, ['auth', 'sign', '--user', 'alice', '--db', 'alpha', '--db-user', dbUser, '--db-name', schema, '--out', prefix]);
  const ssl = { ca: readFileSync(`${prefix}.cas`, 'utf8'), cert: readFileSync(`${prefix}.crt`, 'utf8'), key: readFileSync(`${prefix}.key`, 'utf8') };
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port: ports.mysql, ssl });
  const auditCount = async (args: string[]): Promise<number> =>
    (JSON.parse(await gatectlOk(dataDir, ['audit', 'search', '--since', '1h', '--format', 'json', ...args])) as unknown[]).length;
  const scrape = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const gauge = (text: string, name: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };

  // TLS resumption across workers: with nothing else open, two connections in a row go to
  // different workers (the one with fewer live connections, or the next in turn on a tie), so the
  // second resumes only if the workers share the ticket key.
  for (const flag of ['-tls1_2', '-tls1_3']) {
    const sess = join(root, `session${flag}.pem`);
    const first = await sClient(ports.mysql, { cert: `${prefix}.crt`, key: `${prefix}.key` }, [flag], { sessOut: sess });
    assert.equal(first.session, 'New');
    const second = await sClient(ports.mysql, { cert: `${prefix}.crt`, key: `${prefix}.key` }, [flag], { sessIn: sess });
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
  await waitFor('the proxy scrape to count both workers\' sessions', async () =>
    gauge(await scrape(ports.diag), 'gatehouse_proxy_connections') === 2 ? true : undefined,
  );
  assert.match(await scrape(ports.engineDiag), /^gatehouse_engine_/m);

  // max_connections: 2 holds for the proxy as a whole, not per worker.
  await assert.rejects(connect(), (err: { errno?: number }) => err.errno === 1040);

  // SIGHUP: the supervisor applies the new limit, and both workers switch query events off.
  writeConfig({ maxConnections: 3, queryEvents: false });
  child.kill('SIGHUP');
  await waitFor('the reload in the supervisor and both workers', () =>
    logLines('config reloaded').length >= WORKERS + 1 && workersLogging('audit query events switched').length === WORKERS ? true : undefined,
  );
  const c = await connect();
  await a.query("SELECT 'marker-after-reload'");
  await b.query("SELECT 'marker-after-reload'");
  await c.query("SELECT 'marker-after-reload'");

  // A lock closes the user's sessions in every worker.
  await gatectlOk(dataDir, ['lock', '--user', 'alice', '--message', 'workers test']);
  for (const [name, session] of Object.entries({ a, b, c })) {
    await waitFor(`session ${name} to be closed by the lock`, () =>
      session.query('SELECT 1').then(
        () => undefined,
        (err: Error) => err,
      ),
    );
  }
  for (const session of [a, b, c]) session.destroy();
  await gatectlOk(dataDir, ['unlock', '--user', 'alice']);
  await waitFor('two session ends per held session', async () => ((await auditCount(['--type', 'db.session.end'])) >= 3 ? true : undefined));

  // SIGTERM drains both workers: sessions open in each go on, new ones are refused.
  const d = await waitFor('a session once alice is unlocked', () => connect().catch(() => undefined));
  const e = await connect();
  assert.deepEqual([workerOf(d), workerOf(e)].sort(), [0, 1]);
  child.kill('SIGTERM');
  await waitFor('the supervisor to drain', () => (logLines('draining').length === 1 ? true : undefined));
  await waitFor('both workers to drain', () => (workersLogging('session worker draining').length === WORKERS ? true : undefined));
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

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}
