// Command hooks end to end (issue 18, "Hooks"): `gatehouse start` with engine.hooks in front of a
// real MariaDB primary and replica, driven with the mariadb CLI through the proxy. The shipped
// example (deploy/hooks/gatehouse-policy.mjs) denies DROP outside its maintenance window and
// tags the CLI's queries; a test module rewrites, denies, throws, loops, and picks a backend; a
// SIGHUP reload swaps it for a new version. Also through the proxy: prefer_replica routing, and
// a listener with a server_version of its own.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findFreePort, type ReplicationSet, startMariaDbReplication, waitFor } from '@gatehouse/testing';
import { gatectl, gatectlOk, startGatehouse } from './support/cli.js';
import { type CliOutcome, mariadbCli } from './support/clients.js';
import { type Cluster, parseMetrics, type UserCerts } from './support/cluster.js';

const EXAMPLE_HOOK = resolve('deploy/hooks/gatehouse-policy.mjs');
const SERVICE = 'shop';
const SCHEMA = 'shopdb';
const APP_USER = 'gh_hook_app';
const MONITOR_USER = 'gh_hook_monitor';
const LISTENER_VERSION = '10.11.99-MariaDB-listener-test';

/** The test's own module; `version` changes on reload. */
function testHooks(version: string): string {
  return `export function onHandshakeResponse(ctx) {
  if (ctx.user !== 'pat') return undefined;
  const primary = ctx.backends.find((b) => b.role === 'primary');
  return { backend: primary.uri, audit: { routed_by: 'test-hooks' } };
}
export function onCommand(ctx, command) {
  if (command.kind !== 'query') return undefined;
  const t = command.text;
  if (t.includes("'rewrite-me'")) return { query: "SELECT 'rewritten by ${version}'", audit: { rewrite: '${version}' } };
  if (t.includes("'rewrite-to-truncate'")) return { query: 'TRUNCATE TABLE ${SCHEMA}.items' };
  if (t.includes("'deny-me'")) return { deny: { message: 'refused by test hooks ${version}', errno: 1227, sqlState: '42000' }, audit: { refused: true } };
  if (t.includes("'throw-me'")) throw new Error('the test hook threw on purpose');
  if (t.includes("'loop-me'")) for (;;) {}
  return undefined;
}
`;
}

interface AuditRow {
  readonly event: string;
  readonly sid: string;
  readonly user: string;
  readonly query?: string;
  readonly original_query?: string;
  readonly hook_fields?: Record<string, unknown>;
  readonly client_attributes?: Record<string, string>;
  readonly outcome?: { kind: string; errno?: number; message?: string };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

describe('command hooks through the proxy, with the mariadb CLI', () => {
  let set: ReplicationSet;
  let root: string;
  let dataDir: string;
  let hooksFile: string;
  let child: ChildProcess;
  let output: () => string;
  let proxy: Cluster;
  let listenerProxy: Cluster;
  let engineDiagPort: number;
  const certs: Record<string, UserCerts> = {};

  before(async () => {
    set = await startMariaDbReplication({ replicas: 1 });
    await set.primary.sql(
      [
        `CREATE DATABASE ${SCHEMA}`,
        `CREATE TABLE ${SCHEMA}.items (id INT PRIMARY KEY, name VARCHAR(40))`,
        `INSERT INTO ${SCHEMA}.items VALUES (1, 'one')`,
        `CREATE TABLE ${SCHEMA}.scratch (id INT)`,
        `CREATE USER '${APP_USER}'@'%' IDENTIFIED BY 'hook-app-pw'`,
        `GRANT ALL ON ${SCHEMA}.* TO '${APP_USER}'@'%'`,
        `CREATE USER '${MONITOR_USER}'@'%' IDENTIFIED BY 'hook-monitor-pw'`,
        `GRANT SLAVE MONITOR ON *.* TO '${MONITOR_USER}'@'%'`,
      ].join('; '),
    );
    await set.waitForReplica(set.replicas[0]!);
    process.env.GH_E2E_HOOK_APP_PW = 'hook-app-pw';
    process.env.GH_E2E_HOOK_MONITOR_PW = 'hook-monitor-pw';
    // The example's settings: a window that is not now (two days ahead), and the CLI's program.
    const dayAfterTomorrow = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 2) % 7];
    process.env.GATEHOUSE_MAINTENANCE_WINDOW = `${dayAfterTomorrow} 00-24`;
    process.env.GATEHOUSE_TAGGED_PROGRAMS = 'mysql,mariadb';

    root = mkdtempSync(join(tmpdir(), 'gatehouse-cmd-hooks-'));
    dataDir = join(root, 'data');
    hooksFile = join(root, 'test-hooks.mjs');
    writeFileSync(hooksFile, testHooks('v1'));
    await gatectlOk(dataDir, ['ca', 'init']);
    const roleFile = join(root, 'role.yaml');
    writeFileSync(
      roleFile,
      `kind: role\nname: shop\nallow: { db_labels: { env: dev }, db_users: [${APP_USER}], db_names: [${SCHEMA}] }\ndeny: { statements: [truncate] }\n`,
    );
    await gatectlOk(dataDir, ['roles', 'create', '-f', roleFile]);

    const [mysqlPort, listenerPort, webPort, diagPort] = [
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
    ];
    engineDiagPort = await findFreePort();
    const uri = (s: { host: string; port: number }): string => `${s.host}:${s.port}`;
    const configFile = join(root, 'gatehouse.yaml');
    writeFileSync(
      configFile,
      `version: v1
data_dir: ${JSON.stringify(dataDir)}
log: { level: info }
proxy:
  mysql_listen:
    - 127.0.0.1:${mysqlPort}
    - { address: 127.0.0.1:${listenerPort}, server_version: ${LISTENER_VERSION} }
  web_listen: 127.0.0.1:${webPort}
  diag_listen: 127.0.0.1:${diagPort}
  public_addr: [localhost, 127.0.0.1]
engine:
  proxy_addr: 127.0.0.1:${webPort}
  diag_listen: 127.0.0.1:${engineDiagPort}
  hooks: [${JSON.stringify(EXAMPLE_HOOK)}, ${JSON.stringify(hooksFile)}]
  hook_timeout: 3s
  databases:
    - name: ${SERVICE}
      backends: [{ uri: ${uri(set.primary)} }, { uri: ${uri(set.replicas[0]!)} }]
      labels: { env: dev }
      tls: { mode: disable }
      routing: { policy: prefer_replica, max_replica_lag: 60s }
      monitor: { user: ${MONITOR_USER}, interval: 500ms }
      auth:
        mode: password
        credentials:
          ${APP_USER}: { password_env: GH_E2E_HOOK_APP_PW }
          ${MONITOR_USER}: { password_env: GH_E2E_HOOK_MONITOR_PW }
`,
    );
    ({ child, output } = startGatehouse(configFile));
    proxy = { mysqlPort } as Cluster;
    listenerProxy = { mysqlPort: listenerPort } as Cluster;
    // Served, with the monitor knowing which backend is the replica (prefer_replica needs it).
    await waitFor(
      'the primary and the replica in gatectl db ls',
      async () => {
        if (child.exitCode !== null) throw new Error(`gatehouse exited:\n${output()}`);
        const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
        if (out.code !== 0) return undefined;
        const rows = JSON.parse(out.stdout) as Array<{
          name: string;
          backends: Array<{ role: string; health: string }>;
        }>;
        const backends = rows.find((r) => r.name === SERVICE)?.backends ?? [];
        const healthy = (role: string) => backends.some((b) => b.role === role && b.health === 'healthy');
        return healthy('primary') && healthy('replica') ? true : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
    for (const user of ['alice', 'pat']) {
      await gatectlOk(dataDir, ['users', 'add', user, '--roles', 'shop']);
      const prefix = join(root, user);
      await gatectlOk(dataDir, [
        'auth',
        'sign',
        '--user',
        user,
        '--db',
        SERVICE,
        '--db-user',
        APP_USER,
        '--db-name',
        SCHEMA,
        '--out',
        prefix,
      ]);
      certs[user] = {
        dbUser: APP_USER,
        certFile: `${prefix}.crt`,
        keyFile: `${prefix}.key`,
        casFile: `${prefix}.cas`,
        cert: '',
        key: '',
        cas: '',
      };
    }
  });

  after(async () => {
    if (child !== undefined) await stopChild(child);
    await set?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  const cli = (user: string, sql: string, target: Cluster = proxy): Promise<CliOutcome> =>
    mariadbCli(target, certs[user], ['-e', sql], { database: SCHEMA });

  const auditRows = async (): Promise<AuditRow[]> => {
    const out = await gatectl(dataDir, ['audit', 'search', '--format', 'json']);
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout) as AuditRow[];
  };
  const queryEvent = (what: string, match: (e: AuditRow) => boolean): Promise<AuditRow> =>
    waitFor(what, async () => (await auditRows()).find((e) => e.event === 'db.session.query' && match(e)));
  const engineMetrics = async (): Promise<Record<string, number>> => {
    const res = await fetch(`http://127.0.0.1:${engineDiagPort}/metrics`);
    return parseMetrics(await res.text());
  };

  test('prefer_replica: a CLI session reads from the replica; a hook sends pat to the primary', async () => {
    const primaryId = String((await set.primary.sql('SELECT @@server_id AS id'))[0]?.id);
    const replicaId = String((await set.replicas[0]!.sql('SELECT @@server_id AS id'))[0]?.id);
    assert.notEqual(primaryId, replicaId);
    const alice = await cli('alice', 'SELECT @@server_id');
    assert.equal(alice.code, 0, alice.stderr);
    assert.equal(alice.stdout.trim(), replicaId);
    const pat = await cli('pat', 'SELECT @@server_id');
    assert.equal(pat.code, 0, pat.stderr);
    assert.equal(pat.stdout.trim(), primaryId);
    const start = await waitFor('pat’s start event', async () =>
      (await auditRows()).find(
        (e) => e.event === 'db.session.start' && e.user === 'pat' && e.hook_fields !== undefined,
      ),
    );
    assert.equal(start.hook_fields?.routed_by, 'test-hooks');
  });

  test('the example hook denies DROP outside the maintenance window; the table stays', async () => {
    const r = await cli('pat', `DROP TABLE ${SCHEMA}.scratch`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERROR 1142 \(42000\)/);
    assert.match(r.stderr, /DROP is allowed only in the maintenance window/);
    assert.equal((await set.primary.sql(`SHOW TABLES FROM ${SCHEMA} LIKE 'scratch'`)).length, 1);
    const denied = await queryEvent('the denied DROP', (e) => e.query === `DROP TABLE ${SCHEMA}.scratch`);
    assert.equal(denied.outcome?.kind, 'error');
    assert.equal(denied.outcome?.errno, 1142);
    assert.equal(denied.hook_fields?.policy, 'maintenance-window');
  });

  test('the example hook tags the queries of the CLI with its program name', async () => {
    const marker = `tag-${Date.now()}`;
    const r = await cli('alice', `SELECT '${marker}'`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), marker);
    const event = await queryEvent('the tagged query', (e) => e.query === `SELECT '${marker}'`);
    const start = (await auditRows()).find((e) => e.event === 'db.session.start' && e.sid === event.sid);
    const program = start?.client_attributes?.program_name ?? start?.client_attributes?._program_name;
    assert.ok(program, `the CLI sent no program name: ${JSON.stringify(start?.client_attributes)}`);
    assert.equal(event.hook_fields?.client_program, program);
  });

  test('onCommand rewrites a query: the database runs the new text, the audit has both', async () => {
    const r = await cli('alice', "SELECT 'rewrite-me'");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'rewritten by v1');
    const event = await queryEvent(
      'the rewritten query',
      (e) => e.original_query === "SELECT 'rewrite-me'" && e.query === "SELECT 'rewritten by v1'",
    );
    assert.equal(event.outcome?.kind, 'rows');
    assert.equal(event.hook_fields?.rewrite, 'v1');
  });

  test('a rewrite into a statement the role denies is refused by the role: the policy checks the text that runs', async () => {
    const r = await cli('alice', "SELECT 'rewrite-to-truncate'");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERROR 1142/);
    assert.match(r.stderr, /truncate/);
    assert.equal((await set.primary.sql(`SELECT COUNT(*) AS n FROM ${SCHEMA}.items`))[0]?.n, '1');
    const event = await queryEvent('the refused rewrite', (e) => e.original_query === "SELECT 'rewrite-to-truncate'");
    assert.equal(event.query, `TRUNCATE TABLE ${SCHEMA}.items`);
    assert.equal(event.outcome?.errno, 1142);
  });

  test('onCommand denies with its ERR; the commands after it in the same session run', async () => {
    const r = await cli('alice', "SELECT 'before'; SELECT 'deny-me'; SELECT 'after'");
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /before/);
    assert.match(r.stderr, /ERROR 1227 \(42000\).*refused by test hooks v1/);
    // The CLI stops at the first error; with --force (statements on stdin) it goes on in the same session.
    const forced = await mariadbCli(proxy, certs.alice, ['--force'], {
      database: SCHEMA,
      stdin: "SELECT 'deny-me';\nSELECT 'after';\n",
    });
    assert.match(forced.stderr, /refused by test hooks v1/);
    assert.match(forced.stdout, /after/);
  });

  test('a hook that throws denies the command with ERR 1105 naming the module; counted; the engine goes on', async () => {
    const before = await engineMetrics();
    const r = await cli('alice', "SELECT 'throw-me'");
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /ERROR 1105 \(HY000\).*onCommand hook failed: test-hooks\.mjs threw: the test hook threw on purpose/,
    );
    const afterwards = await engineMetrics();
    assert.equal(
      afterwards['gatehouse_engine_hook_outcomes_total{outcome="failed"}'],
      (before['gatehouse_engine_hook_outcomes_total{outcome="failed"}'] ?? 0) + 1,
    );
    assert.equal(
      afterwards['gatehouse_engine_denials_total{reason="hook"}'],
      (before['gatehouse_engine_denials_total{reason="hook"}'] ?? 0) + 1,
    );
    assert.match(output(), /hook failed/);
    const ok = await cli('alice', 'SELECT 1');
    assert.equal(ok.stdout.trim(), '1');
  });

  test('a hook that loops forever runs over its budget: ERR 1105, counted, the worker replaced', async () => {
    const before = await engineMetrics();
    const r = await cli('alice', "SELECT 'loop-me'");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERROR 1105 \(HY000\).*onCommand hook failed: ran over its 3000 ms budget/);
    const afterwards = await engineMetrics();
    assert.equal(
      afterwards['gatehouse_engine_hook_outcomes_total{outcome="timeout"}'],
      (before['gatehouse_engine_hook_outcomes_total{outcome="timeout"}'] ?? 0) + 1,
    );
    // The fresh worker has the same modules: the policy still holds.
    const drop = await cli('alice', `DROP TABLE ${SCHEMA}.scratch`);
    assert.match(drop.stderr, /maintenance window/);
    assert.equal((await cli('alice', "SELECT 'rewrite-me'")).stdout.trim(), 'rewritten by v1');
  });

  test('SIGHUP re-imports the command hooks: the next command sees the new version', async () => {
    writeFileSync(hooksFile, testHooks('v2'));
    const reloads = (): number =>
      output()
        .split('\n')
        .filter((l) => l.includes('"hooks reloaded"')).length;
    const before = reloads();
    child.kill('SIGHUP');
    await waitFor('the hooks reload', () => (reloads() > before ? true : undefined), 30_000);
    assert.equal((await cli('alice', "SELECT 'rewrite-me'")).stdout.trim(), 'rewritten by v2');
    assert.match((await cli('alice', "SELECT 'deny-me'")).stderr, /refused by test hooks v2/);
  });

  test('a listener with its own server_version announces it; the other announces the database’s', async () => {
    const own = await cli('alice', 'SELECT 1', listenerProxy);
    assert.equal(own.code, 0, own.stderr);
    const status = await mariadbCli(listenerProxy, certs.alice, ['-e', 'status'], { database: SCHEMA });
    assert.match(status.stdout, new RegExp(`Server version:\\s+${LISTENER_VERSION.replaceAll('.', '\\.')}`));
    const plain = await mariadbCli(proxy, certs.alice, ['-e', 'status'], { database: SCHEMA });
    assert.doesNotMatch(plain.stdout, /listener-test/);
    assert.match(plain.stdout, /Server version:\s+\d+\.\d+\.\d+-MariaDB/);
  });
});
