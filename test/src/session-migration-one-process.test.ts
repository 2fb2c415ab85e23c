// Live session migration in the one-process shape (docs/migration.md): auth, proxy and engine A
// run in this process (A's tunnel is the in-memory link); engine B joins over the ws tunnel.
// Engine.drain() of B moves B's sessions to A (the receiving side over the in-memory link); then
// engine C joins and A drains to it (the leaving side over the in-memory link). The migration
// metrics count what moved, and what could not by its reason. Last, engine D loses the database
// (its health check fails; the sessions' own connections still work) and its sessions move.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect as connectTcp, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type RunningServices, runServices } from '@gatehouse/cli';
import { GatehouseConfigSchema } from '@gatehouse/common';
import type { Engine } from '@gatehouse/engine';
import { findFreePort, startMariaDb, waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { gatectl, gatectlOk } from './support/cli.js';

const ROLE = `kind: role
name: mig
allow: { db_labels: { env: [dev] }, db_users: [app_rw], db_names: [app] }
`;

/** A counter's value in an engine's registry: `name{labels}` summed over the other labels. */
async function counter(engine: Engine, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await engine.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  let sum = 0;
  for (const v of (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string> }>) {
    if (Object.entries(labels).every(([k, l]) => v.labels[k] === l)) sum += v.value;
  }
  return sum;
}

test('one process: Engine.drain() moves sessions into and out of the in-memory-link engine, and the metrics count moves and refusals by reason; an engine that loses its database moves its sessions', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-mig1-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'data');
  await gatectlOk(dataDir, ['ca', 'init']);
  const db = await startMariaDb({
    shared: false,
    trustCaPem: await gatectlOk(dataDir, ['auth', 'export', '--type', 'db-client']),
  });
  t.after(() => db.stop());
  await db.sql(
    "CREATE DATABASE app; CREATE USER 'app_rw'@'%' REQUIRE SUBJECT '/CN=app_rw'; GRANT ALL ON app.* TO 'app_rw'@'%'",
  );
  writeFileSync(join(root, 'role.yaml'), ROLE);
  await gatectlOk(dataDir, ['roles', 'create', '-f', join(root, 'role.yaml')]);
  await gatectlOk(dataDir, ['users', 'add', 'mover', '--roles', 'mig']);
  const [mysqlPort, webPort, proxyDiag, diagA, diagB] = await Promise.all([1, 2, 3, 4, 5].map(() => findFreePort()));
  const database = {
    name: 'mariadb',
    uri: `127.0.0.1:${db.port}`,
    labels: { env: 'dev' },
    tls: { mode: 'verify-full', ca_file: db.ca.caFile },
    auth: { mode: 'x509' },
  };
  const log = pino({ level: 'error' });
  const one: RunningServices = await runServices(
    Object.freeze(
      GatehouseConfigSchema.parse({
        version: 'v1',
        data_dir: dataDir,
        auth: { enabled: true },
        proxy: {
          enabled: true,
          mysql_listen: `127.0.0.1:${mysqlPort}`,
          web_listen: `127.0.0.1:${webPort}`,
          diag_listen: `127.0.0.1:${proxyDiag}`,
          public_addr: ['localhost', '127.0.0.1'],
        },
        engine: {
          enabled: true,
          name: 'engine-a',
          proxy_addr: `127.0.0.1:${webPort}`,
          diag_listen: `127.0.0.1:${diagA}`,
          migration: { wait: '1s' },
          databases: [database],
        },
      }),
    ),
    log,
  );
  t.after(() => one.close(0));
  // An engine that joins over the ws tunnel, in this process too (its own data dir).
  const startEngine = async (
    name: string,
    diag: number,
    extra: { uri?: string; health_check_interval?: string } = {},
  ): Promise<RunningServices> => {
    const token = JSON.parse(await gatectlOk(dataDir, ['tokens', 'add', '--type', 'engine', '--format', 'json'])) as {
      token: string;
      ca_pin?: string;
      caPin?: string;
    };
    const services = await runServices(
      Object.freeze(
        GatehouseConfigSchema.parse({
          version: 'v1',
          data_dir: join(root, name),
          auth: { enabled: false },
          proxy: { enabled: false },
          engine: {
            enabled: true,
            name,
            proxy_addr: `127.0.0.1:${webPort}`,
            join: { token: token.token, ca_pin: token.ca_pin ?? token.caPin },
            diag_listen: `127.0.0.1:${diag}`,
            migration: { wait: '1s' },
            ...(extra.health_check_interval ? { health_check_interval: extra.health_check_interval } : {}),
            databases: [{ ...database, ...(extra.uri ? { uri: extra.uri } : {}) }],
          },
        }),
      ),
      log,
    );
    t.after(() => services.close(0));
    return services;
  };
  const servedBy = (count: number) =>
    waitFor(`the database served by ${count} engines`, async () => {
      const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
      const rows = out.code === 0 ? (JSON.parse(out.stdout) as Array<{ health: string; engines?: unknown[] }>) : [];
      return rows.some((r) => r.health === 'healthy' && (r.engines?.length ?? 0) >= count) ? true : undefined;
    });
  const a = one.engine!;
  const b = (await startEngine('engine-b', diagB)).engine!;
  await servedBy(2);

  const prefix = join(root, 'mover');
  await gatectlOk(dataDir, [
    'auth',
    'sign',
    '--user',
    'mover',
    '--db',
    'mariadb',
    '--db-user',
    'app_rw',
    '--db-name',
    'app',
    '--out',
    prefix,
  ]);
  const ssl = {
    ca: readFileSync(`${prefix}.cas`, 'utf8'),
    cert: readFileSync(`${prefix}.crt`, 'utf8'),
    key: readFileSync(`${prefix}.key`, 'utf8'),
  };
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port: mysqlPort, ssl });
  const threadOf = async (c: mysql.Connection): Promise<number> =>
    Number(((await c.query('SELECT CONNECTION_ID() AS id'))[0] as Array<{ id: number }>)[0]!.id);
  const sessionsOn = (e: Engine): number => e.metrics.sessionsOpen;
  const migrated = (e: Engine) => counter(e, 'gatehouse_engine_sessions_migrated_total', { db: 'mariadb' });

  // Sessions until both engines carry one: the proxy picks at random.
  const open: mysql.Connection[] = [];
  t.after(() => Promise.all(open.map((c) => c.end().catch(() => {}))));
  await waitFor('a session on each engine', async () => {
    const c = await connect();
    open.push(c);
    await c.query("SET @mark = 'kept'");
    await c.execute('SELECT ? AS v', [1]);
    return sessionsOn(a) > 0 && sessionsOn(b) > 0 ? true : undefined;
  });
  const check = async (c: mysql.Connection, v: number): Promise<void> => {
    const [rows] = await c.query('SELECT @mark AS mark');
    assert.deepEqual(rows, [{ mark: 'kept' }], 'the user variable came along');
    const [executed] = await c.execute('SELECT ? AS v', [v]);
    assert.deepEqual(executed, [{ v }], 'the prepared statement runs under its old id');
  };
  // One more, holding a temporary table: it cannot move, and is closed at migration.wait.
  const pinned = await connect();
  const pinnedErrors: Error[] = [];
  pinned.on('error', (err: Error) => pinnedErrors.push(err));
  await pinned.query('CREATE TEMPORARY TABLE scratch (id INT)');
  const threads = await Promise.all(open.map(threadOf));

  // 1. B drains: its sessions arrive at A over the in-memory link.
  const onB = sessionsOn(b);
  assert.equal(b.state, 'serving');
  const drainB = b.drain('operator drain');
  assert.equal(b.state, 'draining');
  const summaryB = await drainB;
  assert.equal(sessionsOn(b), 0, 'engine B carries no session after its drain');
  assert.equal(summaryB.migrated + (summaryB.closed.temporary_table ?? 0), onB, JSON.stringify(summaryB));
  assert.ok(summaryB.migrated >= 1, JSON.stringify(summaryB));
  assert.equal(await migrated(b), summaryB.migrated);
  for (const [i, c] of open.entries()) await check(c, i + 2);

  // 2. C joins, A drains: its sessions leave over the in-memory link for C.
  const c3 = (await startEngine('engine-c', await findFreePort())).engine!;
  await servedBy(2);
  const onA = sessionsOn(a);
  const summaryA = await a.drain('operator drain');
  assert.equal(sessionsOn(a), 0, 'engine A carries no session after its drain');
  assert.equal(summaryA.migrated + (summaryA.closed.temporary_table ?? 0), onA, JSON.stringify(summaryA));
  assert.equal(await migrated(a), summaryA.migrated);
  assert.equal(sessionsOn(c3), open.length, 'every movable session is on C now');
  for (const [i, c] of open.entries()) {
    await check(c, i + 100);
    assert.notEqual(await threadOf(c), threads[i], 'CONNECTION_ID() changed');
  }

  // The pinned session was closed by whichever drain met it, with the reason, and counted.
  const err = await waitFor('the pinned session closed', async () => pinnedErrors[0]);
  assert.match(err.message, /a temporary table exists during engine drain/);
  const refused =
    (await counter(a, 'gatehouse_engine_migrations_refused_total', { db: 'mariadb', reason: 'temporary_table' })) +
    (await counter(b, 'gatehouse_engine_migrations_refused_total', { db: 'mariadb', reason: 'temporary_table' }));
  assert.equal(refused, 1, 'the refusal is counted by its reason');

  // 3. Engine D reaches the database through a relay; when D loses the database (the relay takes
  // no new connections; the sessions' connections stay up), D's sessions move to C.
  const live = new Set<Socket>();
  const relay = createServer((inbound) => {
    const outbound = connectTcp({ host: '127.0.0.1', port: db.port });
    for (const s of [inbound, outbound]) {
      live.add(s);
      s.on('error', () => {});
      s.once('close', () => live.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    relay.close();
    for (const s of live) s.destroy();
  });
  const relayPort = (relay.address() as AddressInfo).port;
  const d = (
    await startEngine('engine-d', await findFreePort(), {
      uri: `127.0.0.1:${relayPort}`,
      health_check_interval: '300ms',
    })
  ).engine!;
  await servedBy(2);
  const later: mysql.Connection[] = [];
  t.after(() => Promise.all(later.map((c) => c.end().catch(() => {}))));
  await waitFor('a session on engine D', async () => {
    const c = await connect();
    later.push(c);
    await c.query("SET @mark = 'kept'");
    return sessionsOn(d) > 0 ? true : undefined;
  });
  const onD = sessionsOn(d);
  relay.close();
  await waitFor('engine D moved its sessions away', async () => ((await migrated(d)) === onD ? true : undefined));
  assert.equal(sessionsOn(d), 0);
  for (const c of later) {
    const [rows] = await c.query('SELECT @mark AS mark');
    assert.deepEqual(rows, [{ mark: 'kept' }], 'the session went on on C');
  }
});
