// Metrics end to end on a split deployment (auth + proxy in one process, an engine in another):
// a scripted workload with mysql2 and the mariadb CLI, then real scrapes of both diagnostics
// listeners. Also: docs/metrics.md lists exactly what the scrapes return, the dashboard and
// the alert rules in deploy/ use only those metrics, and the public port serves no /metrics.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { familiesOf, sumSamples } from '@gatehouse/common/metrics';
import { waitFor } from '@gatehouse/testing';
import { parse as parseYaml } from 'yaml';
import { connectMysql2, mariadbCli } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

// test/dist/src → the repository.
const ROOT = join(import.meta.dirname, '..', '..', '..');

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

/** GET on the proxy's public HTTPS port; the status code. */
function publicGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The metric names in the tables of docs/metrics.md (first column, in backticks). */
function documentedMetrics(): Set<string> {
  const text = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \|/gm)].map((m) => m[1] as string));
}

/** The metric families an expression uses (histogram series named by their family). */
function metricsIn(expr: string): string[] {
  const names = [...expr.matchAll(/\b((?:gatehouse|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1] as string);
  return names.map((n) => n.replace(/_(bucket|count|sum)$/, ''));
}

const ENGINE_ID = 'engine-0';

describe('metrics (split deployment)', () => {
  let cluster: Cluster;
  let alice: UserCerts;

  before(async () => {
    cluster = await startCluster({ shape: 'split', engines: 1 });
    const add = await cluster.gatectl(['users', 'add', 'alice', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
    assert.equal(add.code, 0, add.stderr);
    alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
  });
  after(async () => {
    await cluster?.stop();
  });

  const engineScrape = (): Promise<string> => scrape(cluster.engineDiagPort(0));

  test('a scripted workload: command histograms count each kind, denials count by reason', async () => {
    const db = cluster.dbService;
    const before = await engineScrape();
    const count = (text: string, kind: string): number =>
      sumSamples(text, 'gatehouse_engine_command_seconds_count', { db, kind });
    const loginsBefore = sumSamples(await scrape(cluster.proxyDiagPort), 'gatehouse_proxy_connect_seconds_count', {
      db,
    });

    // mysql2: text queries, one prepared statement executed three times, a ping, a server error.
    const conn = await connectMysql2(cluster, alice);
    assert.equal(sumSamples(await engineScrape(), 'gatehouse_engine_sessions', { db, engine: ENGINE_ID }), 1);
    const queries = 4;
    for (let i = 0; i < queries; i++) await conn.query('SELECT ? AS n', [i]);
    for (let i = 0; i < 3; i++) await conn.execute('SELECT ? + 1 AS n', [i]);
    await conn.ping();
    await assert.rejects(
      conn.query('SELECT * FROM no_such_table_metrics'),
      (err: { errno?: number }) => err.errno === 1146,
    );
    // Denied by the role's db_names (the engine answers, the database never sees it) ...
    await assert.rejects(conn.query('USE secret_stuff'), (err: { errno?: number }) => err.errno === 1044);
    // ... and by the fixed policy (KILL of a thread that is not one's own).
    await assert.rejects(conn.query('KILL 1'), (err: { errno?: number }) => err.errno === 1095);
    await conn.end();

    // The mariadb CLI in batch mode: each statement of -e is its own COM_QUERY.
    const cli = await mariadbCli(cluster, alice, ['-e', 'SELECT 1; SELECT 2; SELECT 3']);
    assert.equal(cli.code, 0, cli.stderr);

    const mysql2Queries = queries + 1; // the failed SELECT is a command the server answered
    const cliQueries = 3;
    const after = await waitFor('the engine to record the last command', async () => {
      const text = await engineScrape();
      return count(text, 'query') - count(before, 'query') >= mysql2Queries + cliQueries ? text : undefined;
    });
    assert.equal(count(after, 'query') - count(before, 'query'), mysql2Queries + cliQueries);
    assert.equal(count(after, 'prepare') - count(before, 'prepare'), 1);
    assert.equal(count(after, 'execute') - count(before, 'execute'), 3);
    assert.equal(count(after, 'other') - count(before, 'other'), 1);
    // Every sample landed in a bucket: the +Inf bucket equals the count.
    assert.equal(
      sumSamples(after, 'gatehouse_engine_command_seconds_bucket', { db, kind: 'query', le: '+Inf' }),
      count(after, 'query'),
    );

    const denied = (text: string, reason: string): number =>
      sumSamples(text, 'gatehouse_engine_denials_total', { db, reason });
    assert.equal(denied(after, 'role') - denied(before, 'role'), 1);
    assert.equal(denied(after, 'policy') - denied(before, 'policy'), 1);
    const errs = (text: string): number => sumSamples(text, 'gatehouse_engine_err_packets_total', { db, class: '42' });
    assert.equal(errs(after) - errs(before), 1);
    assert.ok(sumSamples(after, 'gatehouse_engine_upstream_login_seconds_count', { db }) >= 2);
    assert.equal(sumSamples(after, 'gatehouse_engine_sessions_total', { db, outcome: 'started' }) >= 2, true);
    assert.ok(sumSamples(after, 'gatehouse_engine_bytes_total', { db, direction: 'to_client' }) > 0);

    const proxy = await scrape(cluster.proxyDiagPort);
    assert.equal(sumSamples(proxy, 'gatehouse_proxy_connect_seconds_count', { db }) - loginsBefore, 2);
    assert.equal(sumSamples(proxy, 'gatehouse_proxy_engines'), 1);
    assert.ok(sumSamples(proxy, 'gatehouse_cert_expiry_seconds', { cert: 'proxy_tls' }) > 0);
    assert.ok(sumSamples(after, 'gatehouse_cert_expiry_seconds', { cert: 'engine_host' }) > 0);
    assert.equal(sumSamples(after, 'gatehouse_engine_tunnel_connected'), 1);
    // Both sessions are over once the engine has seen the CLI's stream close.
    await waitFor('the live-session gauge to come back to 0', async () =>
      sumSamples(await engineScrape(), 'gatehouse_engine_sessions', { db, engine: ENGINE_ID }) === 0 ? true : undefined,
    );
  });

  test('a login the role refuses moves the engine denial counter with reason role', async () => {
    const db = cluster.dbService;
    const before = await engineScrape();
    const r = await mariadbCli(cluster, alice, ['-e', 'SELECT 1'], { user: 'root' });
    assert.match(r.stderr, /ERROR 1045/);
    const after = await waitFor('the refusal to be counted', async () => {
      const text = await engineScrape();
      return sumSamples(text, 'gatehouse_engine_sessions_total', { db, outcome: 'refused' }) >
        sumSamples(before, 'gatehouse_engine_sessions_total', { db, outcome: 'refused' })
        ? text
        : undefined;
    });
    const role = (text: string): number => sumSamples(text, 'gatehouse_engine_denials_total', { db, reason: 'role' });
    assert.equal(role(after) - role(before), 1);
  });

  test('docs/metrics.md lists exactly the metrics the proxy and the engine export', async () => {
    const families = new Map([...familiesOf(await scrape(cluster.proxyDiagPort)), ...familiesOf(await engineScrape())]);
    const documented = documentedMetrics();
    const undocumented = [...families.keys()].filter((name) => !documented.has(name)).sort();
    const missing = [...documented].filter((name) => !families.has(name)).sort();
    assert.deepEqual(undocumented, [], 'exported but not in docs/metrics.md');
    assert.deepEqual(missing, [], 'in docs/metrics.md but not exported');
  });

  test('the Grafana dashboard and the Prometheus rules use only metrics that exist', async () => {
    const families = new Map([...familiesOf(await scrape(cluster.proxyDiagPort)), ...familiesOf(await engineScrape())]);
    const documented = documentedMetrics();
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'gatehouse-dashboard.json'), 'utf8')) as {
      panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ query?: unknown }> };
    };
    const rules = parseYaml(readFileSync(join(ROOT, 'deploy', 'prometheus', 'gatehouse-rules.yaml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'string' ? [v.query] : [])),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const used = new Set(exprs.flatMap(metricsIn));
    assert.ok(used.size >= 15, `the files use ${used.size} metrics`);
    for (const name of used) {
      assert.ok(families.has(name), `${name} is used in deploy/ but no scrape returns it`);
      assert.ok(documented.has(name), `${name} is used in deploy/ but not documented`);
    }
    // The alerts the issue names are there.
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
    for (const metric of [
      'gatehouse_engine_audit_spool_bytes',
      'gatehouse_engine_tunnel_connected',
      'gatehouse_cert_expiry_seconds',
      'gatehouse_engine_command_seconds_bucket',
    ]) {
      assert.ok(alerts.includes(metric), `an alert on ${metric}`);
    }
  });

  test('the public HTTPS port serves no /metrics; the diagnostics listener does', async () => {
    assert.equal(await publicGet(cluster.webPort, '/metrics'), 404);
    assert.equal(await publicGet(cluster.webPort, '/healthz'), 200);
    assert.match(await scrape(cluster.proxyDiagPort), /^# HELP gatehouse_proxy_connections /m);
  });
});
