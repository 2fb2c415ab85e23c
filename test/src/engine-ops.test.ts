// `gatectl engine ls` and `gatectl engine drain` against running gatehouse processes, a real
// MariaDB and mysql2 clients with gatectl-issued certificates: the split shape with two engines
// (auth + proxy in one process, each engine in its own), and the one-process shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumSamples } from '@gatehouse/common/metrics';
import { waitFor } from '@gatehouse/testing';
import type mysql from 'mysql2/promise';
import { connectMysql2 } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

interface EngineRow {
  readonly id: string;
  readonly state: string;
  readonly sessions: number;
  readonly databases: string[];
  readonly proxies: { proxyId: string; addresses: string[] }[];
}

async function engineLs(cluster: Cluster): Promise<EngineRow[]> {
  const out = await cluster.gatectl(['engine', 'ls', '--format', 'json']);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as EngineRow[];
}

/** Waits until `engine ls` shows what `check` wants; returns those rows. */
async function waitForEngines(
  cluster: Cluster,
  what: string,
  check: (rows: Map<string, EngineRow>) => boolean,
): Promise<Map<string, EngineRow>> {
  let last: EngineRow[] = [];
  return waitFor(`engine ls to show ${what}`, async () => {
    last = await engineLs(cluster);
    const rows = new Map(last.map((r) => [r.id, r]));
    return check(rows) ? rows : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${JSON.stringify(last)}\n${cluster.logs()}`);
  });
}

async function aliceCerts(cluster: Cluster): Promise<UserCerts> {
  const add = await cluster.gatectl(['users', 'add', 'alice', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
  assert.equal(add.code, 0, add.stderr);
  return cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
}

test('split shape, two engines: engine ls lists both with their sessions; drain of one moves its sessions and sends new ones to the other', async (t) => {
  const cluster = await startCluster({ shape: 'split', engines: 2 });
  const open: mysql.Connection[] = [];
  t.after(async () => {
    for (const c of open) c.destroy();
    await cluster.stop();
  });
  const alice = await aliceCerts(cluster);
  const connect = async (): Promise<mysql.Connection> => {
    const c = await connectMysql2(cluster, alice);
    open.push(c);
    await c.query('SELECT 1');
    return c;
  };

  const both = await waitForEngines(cluster, 'two serving engines', (rows) =>
    ['engine-0', 'engine-1'].every((id) => rows.get(id)?.state === 'serving'),
  );
  assert.deepEqual([...both.keys()].sort(), ['engine-0', 'engine-1']);
  for (const row of both.values()) {
    assert.deepEqual(row.databases, [cluster.dbService]);
    assert.equal(row.proxies.length, 1);
    assert.match(row.proxies[0]!.addresses.join(), /127\.0\.0\.1/);
  }
  const table = await cluster.gatectl(['engine', 'ls']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^ID\s+STATE\s+SESSIONS\s+DATABASES\s+PROXY\s+ADDRESS\n/);
  assert.match(table.stdout, /\nengine-0\s+serving\s+\d+\s+mariadb\s/);

  // Sessions land on the two engines at random: open them until each engine has some (at most
  // 16); engine ls counts them all.
  let total = 0;
  let counted = new Map<string, EngineRow>();
  const sum = (rows: Map<string, EngineRow>) => [...rows.values()].reduce((n, r) => n + r.sessions, 0);
  do {
    await connect();
    total++;
    counted = await waitForEngines(cluster, `${total} sessions`, (rows) => sum(rows) === total);
  } while (total < 16 && [...counted.values()].some((r) => r.sessions === 0));
  assert.ok(
    [...counted.values()].every((r) => r.sessions > 0),
    `both engines hold sessions: ${JSON.stringify([...counted.values()])}`,
  );

  const unknown = await cluster.gatectl(['engine', 'drain', 'engine-9']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no engine 'engine-9' is connected to a proxy \(engines: engine-0, engine-1\)/);

  const drained = await cluster.gatectl(['engine', 'drain', 'engine-0', '--reason', 'e2e maintenance']);
  assert.equal(drained.code, 0, drained.stderr);
  assert.match(drained.stdout, /engine engine-0 is draining/);
  const after = await engineLs(cluster);
  assert.equal(after.find((r) => r.id === 'engine-0')?.state, 'draining');
  assert.equal(after.find((r) => r.id === 'engine-1')?.state, 'serving');

  // The sessions engine-0 had move to engine-1 (live migration), and every new session goes to
  // engine-1 too (eight: a new one on engine-0 would stay there, the drain moves only what it
  // found); the moved ones keep working.
  for (let i = 0; i < 8; i++) await connect();
  await waitForEngines(
    cluster,
    'every session on engine-1',
    (rows) => rows.get('engine-0')?.sessions === 0 && rows.get('engine-1')?.sessions === total + 8,
  );
  for (const c of open) await c.query('SELECT 1');

  // The proxy's gauges say the same.
  const metrics = await fetch(`http://127.0.0.1:${cluster.proxyDiagPort}/metrics`).then((r) => r.text());
  assert.equal(sumSamples(metrics, 'gatehouse_proxy_engine_state', { engine: 'engine-0', state: 'draining' }), 1);
  assert.equal(sumSamples(metrics, 'gatehouse_proxy_engine_state', { engine: 'engine-1', state: 'serving' }), 1);
  assert.equal(sumSamples(metrics, 'gatehouse_proxy_engine_sessions', { engine: 'engine-0' }), 0);
  assert.equal(sumSamples(metrics, 'gatehouse_proxy_engine_sessions', { engine: 'engine-1' }), total + 8);

  const again = await cluster.gatectl(['engine', 'drain', 'engine-0']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'engine engine-0 is already draining\n');

  // The operator's request is in the audit log, written by the engine that carried it out.
  await waitFor('two engine.drain events', async () => {
    const out = await cluster.gatectl(['audit', 'search', '--type', 'engine.drain', '--format', 'json']);
    if (out.code !== 0) return undefined;
    const events = JSON.parse(out.stdout) as { engine_id: string; reason: string; already_draining: boolean }[];
    if (events.length < 2) return undefined;
    assert.deepEqual(events.map((e) => [e.engine_id, e.reason, e.already_draining]).sort(), [
      ['engine-0', 'drained by an operator (gatectl engine drain)', true],
      ['engine-0', 'e2e maintenance', false],
    ]);
    return true;
  });

  // With both draining, a new session gets a MySQL ERR that says why.
  const both2 = await cluster.gatectl(['engine', 'drain', 'engine-1']);
  assert.equal(both2.code, 0, both2.stderr);
  await assert.rejects(connectMysql2(cluster, alice), (err: Error & { errno?: number }) => {
    assert.match(err.message, /no engine serves database 'mariadb' right now: engines? .*draining/);
    assert.equal(err.errno, 1105, `a MySQL ERR, not a dropped connection: ${err.message}`);
    return true;
  });

  // A restarted engine serves again: the request was for its earlier run.
  await cluster.killEngine(0);
  await cluster.restartEngine(0);
  await waitForEngines(
    cluster,
    'engine-0 serving after its restart',
    (rows) => rows.get('engine-0')?.state === 'serving',
  );
  await connect();
});

test('one-process shape: engine ls lists the in-process engine; drained, it takes no new session and says why', async (t) => {
  const cluster = await startCluster({ shape: 'single' });
  t.after(() => cluster.stop());
  const alice = await aliceCerts(cluster);
  const held = await connectMysql2(cluster, alice);
  t.after(() => held.destroy());
  await held.query('SELECT 1');
  const rows = await waitForEngines(
    cluster,
    'one engine with one session',
    (r) => r.size === 1 && [...r.values()][0]!.sessions === 1,
  );
  const [engine] = [...rows.values()];
  assert.equal(engine!.state, 'serving');
  assert.deepEqual(engine!.proxies[0]!.addresses, ['in-process']);

  const drained = await cluster.gatectl(['engine', 'drain', engine!.id]);
  assert.equal(drained.code, 0, drained.stderr);
  await assert.rejects(
    connectMysql2(cluster, alice),
    /no engine serves database 'mariadb' right now: engine .* is draining/,
  );
  // The session it had has no peer to move to: once the attempt ends it is closed with an ERR
  // that says so (docs/migration.md, "Deadline").
  const closedWith = await waitFor('the held session to be closed', async () => {
    try {
      await held.query('SELECT 1');
      return undefined;
    } catch (err) {
      return err as Error;
    }
  });
  assert.ok(closedWith instanceof Error);
});
