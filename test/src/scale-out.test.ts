// Scale-out end to end: two proxies and two engines in separate processes sharing one
// PostgreSQL, a TCP balancer in front, a real MariaDB and real mysql2 clients. The steps run in
// order on one cluster; each one leaves it in the state the next one starts from.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { type ScaleOutCluster, startScaleOutCluster } from './support/scale-out-cluster.js';

let cluster: ScaleOutCluster;
let certs: { cert: string; key: string; cas: string };

before(async () => {
  cluster = await startScaleOutCluster();
  certs = await cluster.signUser('alice');
  await cluster.waitForMesh();
});
after(() => cluster?.stop());

function connect(port: number, c = certs): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: 'app_rw',
    database: 'app',
    ssl: { ca: c.cas, cert: c.cert, key: c.key },
  });
}

/** Audit events of queries against load_t that MariaDB answered with OK. */
async function auditedInserts(): Promise<number> {
  const out = await cluster.gatectl([
    'audit',
    'search',
    '--type',
    'db.session.query',
    '--query',
    'INSERT INTO load_t',
    '--limit',
    '1000000',
    '--format',
    'json',
  ]);
  assert.equal(out.code, 0, out.stderr);
  const events = JSON.parse(out.stdout) as { outcome?: { kind: string } }[];
  return events.filter((e) => e.outcome?.kind === 'ok').length;
}

async function rowsInLoadTable(): Promise<number> {
  const [row] = await cluster.db.sql('SELECT COUNT(*) AS n FROM app.load_t');
  return Number(row?.n);
}

/** Waits until every row MariaDB holds has its audit event in PostgreSQL. */
async function expectNoEventLost(): Promise<void> {
  const rows = await rowsInLoadTable();
  assert.ok(rows > 0);
  await waitFor(
    `${rows} audited inserts`,
    async () => ((await auditedInserts()) === rows ? true : undefined),
    60_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: have ${await auditedInserts()}\n${cluster.logs()}`);
  });
}

test('a client through either proxy reaches the database served by both engines', async () => {
  for (const proxy of cluster.proxies) {
    const conn = await connect(proxy.mysqlPort);
    const [rows] = await conn.query('SELECT @@hostname IS NOT NULL AS ok, DATABASE() AS db');
    assert.deepEqual(rows, [{ ok: 1, db: 'app' }]);
    await conn.end();
  }
  const viaBalancer = await Promise.all([1, 2, 3, 4].map(() => connect(cluster.mysqlBalancer.port)));
  for (const c of viaBalancer) await c.end();
  for (const proxy of cluster.proxies) assert.ok((cluster.mysqlBalancer.counts.get(proxy.mysqlPort) ?? 0) > 0);
});

test('a lock issued with gatectl closes a live session that came in through the other proxy', async () => {
  const bob = await cluster.signUser('bob');
  const conn = await connect(cluster.proxies[1]!.mysqlPort, bob);
  const closedWith = new Promise<Error>((resolve) => conn.on('error', resolve));
  await conn.query('SELECT 1');
  const lock = await cluster.gatectl(['lock', '--user', 'bob', '--message', 'scale-out lock']);
  assert.equal(lock.code, 0, lock.stderr);
  const err = await closedWith;
  assert.match(err.message, /locked/i);
  assert.match(err.message, /scale-out lock/);
  await assert.rejects(connect(cluster.proxies[0]!.mysqlPort, bob), /locked/i);
  conn.destroy();
});

test('a proxy added later is picked up by the running engines, without a restart', async () => {
  const late = await cluster.addProxy('proxy-c');
  await cluster.waitForMesh();
  const conn = await connect(late.mysqlPort);
  const [rows] = await conn.query('SELECT 1 AS one');
  assert.deepEqual(rows, [{ one: 1 }]);
  await conn.end();
});

test('restarting PostgreSQL: established sessions keep serving, and no audit event is lost', async () => {
  const conn = await connect(cluster.proxies[0]!.mysqlPort);
  await conn.query('INSERT INTO load_t (worker, n) VALUES (-1, 0)');
  await cluster.pg.pause();
  try {
    for (let n = 1; n <= 20; n++) await conn.query('INSERT INTO load_t (worker, n) VALUES (-1, ?)', [n]);
  } catch (err) {
    throw new Error(`the session failed while PostgreSQL was down: ${(err as Error).message}\n${cluster.logs()}`);
  } finally {
    await cluster.pg.resume();
  }
  await conn.end();
  await expectNoEventLost();
  for (const proxy of cluster.proxies) {
    assert.equal(proxy.child.exitCode, null, `${proxy.name} survived the restart:\n${cluster.logs()}`);
  }
});

test('kill -9 of one proxy under load: the other keeps its sessions, new ones succeed, no event lost', async () => {
  const survivor = cluster.proxies[1]!;
  const onSurvivor = await connect(survivor.mysqlPort);
  let stop = false;
  const errors: string[] = [];
  // Bounded load through the balancer: four workers, each reconnecting when its proxy dies.
  const workers = [0, 1, 2, 3].map(async (worker) => {
    let conn: mysql.Connection | undefined;
    for (let n = 0; !stop; n++) {
      try {
        conn ??= await connect(cluster.mysqlBalancer.port);
        await conn.query('INSERT INTO load_t (worker, n) VALUES (?, ?)', [worker, n]);
      } catch (err) {
        errors.push((err as Error).message);
        conn?.destroy();
        conn = undefined;
      }
    }
    await conn?.end();
  });
  await waitFor('load before the kill', async () => ((await rowsInLoadTable()) > 100 ? true : undefined));
  await cluster.killProxy(0);
  const before = await rowsInLoadTable();
  await waitFor('load to go on after the kill', async () =>
    (await rowsInLoadTable()) > before + 100 ? true : undefined,
  );
  // The session that came in through the surviving proxy never noticed.
  const [rows] = await onSurvivor.query('SELECT COUNT(*) AS n FROM load_t');
  assert.ok(Number((rows as { n: number }[])[0]!.n) > before);
  const fresh = await connect(cluster.mysqlBalancer.port);
  await fresh.query('SELECT 1');
  await fresh.end();
  stop = true;
  await Promise.all(workers);
  await onSurvivor.end();
  await expectNoEventLost();
});

test('the audit review API of every live proxy pages through the shared PostgreSQL log', async () => {
  const identity = await cluster.signAuditor('audra');
  // The inserts of the load steps: all stored by now (expectNoEventLost), so nothing moves.
  const filter = [
    '--type',
    'db.session.query',
    '--query',
    'INSERT INTO load_t',
    '--limit',
    '1000000',
    '--format',
    'json',
  ];
  const direct = await cluster.gatectl(['audit', 'search', ...filter]);
  assert.equal(direct.code, 0, direct.stderr);
  const expected = (JSON.parse(direct.stdout) as { uid: string }[]).map((e) => e.uid);
  assert.ok(expected.length > 0);
  const live = cluster.liveProxies();
  assert.ok(live.length >= 2);
  for (const proxy of live) {
    const through = await cluster.gatectl([
      'audit',
      'search',
      '--proxy',
      `localhost:${proxy.webPort}`,
      '--identity',
      identity,
      ...filter,
    ]);
    assert.equal(through.code, 0, through.stderr);
    assert.deepEqual(
      (JSON.parse(through.stdout) as { uid: string }[]).map((e) => e.uid),
      expected,
      proxy.name,
    );
  }
  const verified = await cluster.gatectl([
    'audit',
    'verify',
    '--proxy',
    `localhost:${live[0]!.webPort}`,
    '--identity',
    identity,
  ]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /audit log intact/);
});

test('audit verify passes on the result, and fails on an edited row and on a deleted row', async () => {
  const ok = await cluster.gatectl(['audit', 'verify']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /audit log intact/);
  const target = await scaleOutDb();
  // One row of the first chain: its session id rewritten, as someone covering tracks would.
  const row = '(writer, seq) IN (SELECT writer, 3 FROM gh_audit_head ORDER BY writer LIMIT 1)';
  await cluster.pg.sql(`UPDATE gh_audit SET body = replace(body, '"sid":"', '"sid":"x') WHERE ${row}`, target);
  const edited = await cluster.gatectl(['audit', 'verify']);
  assert.equal(edited.code, 1);
  assert.match(edited.stderr, /edited/);
  await cluster.pg.sql(`UPDATE gh_audit SET body = replace(body, '"sid":"x', '"sid":"') WHERE ${row}`, target);
  assert.equal((await cluster.gatectl(['audit', 'verify'])).code, 0);
  await cluster.pg.sql(
    'DELETE FROM gh_audit WHERE (writer, seq) IN (SELECT writer, 2 FROM gh_audit_head ORDER BY writer LIMIT 1)',
    target,
  );
  const deleted = await cluster.gatectl(['audit', 'verify']);
  assert.equal(deleted.code, 1);
  assert.match(deleted.stderr, /deleted/);
});

async function scaleOutDb(): Promise<string> {
  const names = (await cluster.pg.sql("SELECT datname FROM pg_database WHERE datname LIKE 'scaleout_%'")).trim();
  return names.split('\n')[0]!;
}
