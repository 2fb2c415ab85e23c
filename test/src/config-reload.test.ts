// SIGHUP reload of `gatehouse start --config`, end to end with a real process: the database list,
// the proxy limits and the audit switch change live without dropping the session in progress;
// settings that need a restart are logged and ignored; an invalid file keeps the running config.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findFreePort, waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { setUpAlice } from './support/alice-setup.js';
import { gatectl, gatectlOk, logLinesOf, startGatehouse, stopChild } from './support/cli.js';

interface Ports {
  readonly mysql: number;
  readonly web: number;
  readonly diag: number;
}

interface Settings {
  readonly databases: readonly string[];
  readonly maxConnections: number;
  readonly queryEvents: boolean;
  readonly mysqlPort: number;
}

test('SIGHUP applies databases, limits and the audit switch live; restart-only changes and bad files are refused', async (t) => {
  const { db, root, dataDir, dbUser, schema, env, onCleanup } = await setUpAlice(t, 'reload');

  const ports: Ports = { mysql: await findFreePort(), web: await findFreePort(), diag: await findFreePort() };
  const configFile = join(root, 'gatehouse.yaml');
  const writeConfig = (s: Settings): void => {
    const dbs = s.databases
      .map(
        (name) => `    - name: ${name}
      uri: 127.0.0.1:${db.port}
      labels: { env: dev }
      tls: { mode: verify-ca, ca_file: ${JSON.stringify(db.ca.caFile)} }
      auth: { mode: password, credentials: { ${dbUser}: { password_env: ${env} } } }`,
      )
      .join('\n');
    writeFileSync(
      configFile,
      `version: v1
data_dir: ${JSON.stringify(dataDir)}
proxy:
  mysql_listen: 127.0.0.1:${s.mysqlPort}
  web_listen: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:0
  public_addr: [localhost, 127.0.0.1]
  limits: { max_connections: ${s.maxConnections} }
engine:
  proxy_addr: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:${ports.diag}
  databases:
${dbs}
audit: { query_events: ${s.queryEvents} }
`,
    );
  };
  writeConfig({ databases: ['alpha'], maxConnections: 100, queryEvents: true, mysqlPort: ports.mysql });
  const gatehouse = startGatehouse(configFile);
  onCleanup(() => stopChild(gatehouse.child));
  const child = gatehouse.child;
  const logLines = (msg: string): Record<string, unknown>[] => logLinesOf(gatehouse.output(), msg);

  const servedDatabases = async (): Promise<string[] | undefined> => {
    if (child.exitCode !== null) throw new Error(`gatehouse exited:\n${gatehouse.output()}`);
    const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
    if (out.code !== 0) return undefined;
    const rows = JSON.parse(out.stdout) as Array<{ name: string; health: string }>;
    return rows
      .filter((r) => r.health === 'healthy')
      .map((r) => r.name)
      .sort();
  };
  const waitForServed = (want: string[]) =>
    waitFor(
      `db ls to show exactly ${want.join(', ')}`,
      async () => {
        const names = await servedDatabases();
        return names !== undefined && names.join(',') === want.join(',') ? names : undefined;
      },
      60_000,
    );
  await waitForServed(['alpha']);

  const certFor = async (service: string) => {
    const prefix = join(root, `alice-${service}`);
    await gatectlOk(dataDir, [
      'auth',
      'sign',
      '--user',
      'alice',
      '--db',
      service,
      '--db-user',
      dbUser,
      '--db-name',
      schema,
      '--out',
      prefix,
    ]);
    return {
      ca: readFileSync(`${prefix}.cas`, 'utf8'),
      cert: readFileSync(`${prefix}.crt`, 'utf8'),
      key: readFileSync(`${prefix}.key`, 'utf8'),
    };
  };
  const connect = async (service: string) =>
    mysql.createConnection({ host: '127.0.0.1', port: ports.mysql, ssl: await certFor(service) });
  const auditCount = async (args: string[]): Promise<number> =>
    (
      JSON.parse(
        await gatectlOk(dataDir, ['audit', 'search', '--since', '1h', '--format', 'json', ...args]),
      ) as unknown[]
    ).length;

  const held = await connect('alpha');
  await held.query("SELECT 'marker-before-reload'");

  // Reload 1: alpha → beta, max_connections 1, query events off, and a listen address (restart only).
  const otherPort = await findFreePort();
  writeConfig({ databases: ['beta'], maxConnections: 1, queryEvents: false, mysqlPort: otherPort });
  child.kill('SIGHUP');
  await waitForServed(['beta']);
  await waitFor('the reload to finish', () => (logLines('config reloaded').length === 1 ? true : undefined));
  assert.deepEqual(logLines('config reloaded')[0]?.needsRestart, ['proxy.mysql_listen']);
  assert.equal(logLines('config change needs a restart; ignored until then')[0]?.path, 'proxy.mysql_listen');

  // The session on the removed database goes on, and now runs without query events.
  const [rows] = await held.query("SELECT 'marker-after-reload' AS m");
  assert.deepEqual(rows, [{ m: 'marker-after-reload' }]);
  // max_connections is now 1 and the held session is that one.
  await assert.rejects(connect('beta'), (err: { errno?: number }) => err.errno === 1040);
  await held.end();

  const beta = await waitFor('a session on beta once the slot is free', () => connect('beta').catch(() => undefined));
  await beta.query("SELECT 'marker-on-beta'");
  await beta.end();
  const alpha = await connect('alpha').then(
    () => assert.fail('alpha was removed'),
    (err: Error) => err,
  );
  assert.match(alpha.message, /no engine serves database 'alpha'/);

  // Both sessions have ended (alpha was refused by the proxy, before any engine): their events are in.
  await waitFor('two session ends in the audit log', async () =>
    (await auditCount(['--type', 'db.session.end'])) >= 2 ? true : undefined,
  );
  assert.equal(await auditCount(['--query', 'marker-before-reload']), 1);
  assert.equal(await auditCount(['--query', 'marker-after-reload']), 0);
  assert.equal(await auditCount(['--query', 'marker-on-beta']), 0);
  assert.ok((await auditCount(['--type', 'db.session.start'])) >= 2, 'session starts are still audited');

  // Reload 2: an invalid file is refused with the path and reason; the running config stays.
  writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('max_connections: 1', 'max_connections: -5'));
  child.kill('SIGHUP');
  const failed = await waitFor(
    'the refused reload',
    () => logLines('config reload failed; keeping the running config')[0],
  );
  assert.match(String((failed.err as { message?: string }).message), /proxy\.limits\.max_connections: /);
  const one = await connect('beta');
  t.after(() => one.end().catch(() => {}));
  await assert.rejects(connect('beta'), (err: { errno?: number }) => err.errno === 1040);
  assert.deepEqual(await servedDatabases(), ['beta']);
  assert.equal(child.exitCode, null);
});
