// Live session migration end to end (issue 17, docs/migration.md): two engines in their own
// processes serve one real MariaDB; the engine a session is on gets SIGTERM, and the session
// moves to the other one between two commands, with its state and its prepared statements.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { Connection } from 'mysql2/promise';
import { connectMysql2, mariadbCommand } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

interface AuditRow {
  readonly event: string;
  readonly engine_id: string;
  readonly sid: string;
  readonly thread_id?: number;
  readonly from_engine_id?: string;
  readonly to_engine_id?: string;
  readonly from_thread_id?: number;
  readonly to_thread_id?: number;
  readonly reason?: string;
}

async function auditOf(cluster: Cluster, user: string, type: string): Promise<AuditRow[]> {
  const r = await cluster.gatectl(['audit', 'search', '--user', user, '--type', type, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as AuditRow[];
}

/** The index of the engine (engine-<i>) the user's only session started on. */
async function engineOf(cluster: Cluster, user: string): Promise<number> {
  const start = await waitFor(
    `${user}'s session start event`,
    async () => (await auditOf(cluster, user, 'db.session.start'))[0],
  );
  const m = /^engine-(\d+)$/.exec(start.engine_id);
  assert.ok(m, `engine id ${start.engine_id}`);
  return Number(m[1]);
}

async function addUser(cluster: Cluster, user: string): Promise<UserCerts> {
  const add = await cluster.gatectl(['users', 'add', user, '--roles', 'e2e-dev']);
  assert.equal(add.code, 0, add.stderr);
  return cluster.signUser(user, { dbUser: 'app_rw', dbName: 'app' });
}

async function rows(c: Connection, sql: string, values?: unknown[]): Promise<unknown> {
  const [result] = values === undefined ? await c.query(sql) : await c.execute(sql, values as never);
  return result;
}

/** The state-bearing workload, in two halves; each step's result is kept to compare runs. */
async function workloadBefore(c: Connection): Promise<unknown[]> {
  return [
    await rows(c, 'USE reports_2026'),
    await rows(c, 'SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci'),
    await rows(c, "SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION'"),
    await rows(c, "SET @n = 42, @s = 'héllo', @z = NULL, @d = 1.5, @b = X'00ff'"),
    await rows(c, 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'),
    await rows(c, 'SELECT ? + 1 AS x, @s AS s', [1]),
    await rows(c, 'SELECT ? AS k, ? AS v', ['key', 7]),
    await rows(c, 'SET autocommit = 0'),
  ].map(withoutVolatile);
}

async function workloadAfter(c: Connection): Promise<unknown[]> {
  return [
    await rows(
      c,
      'SELECT DATABASE() AS db, @@character_set_client AS cs, @@collation_connection AS co, @@sql_mode AS mode, @@tx_isolation AS iso, @@autocommit AS ac',
    ),
    await rows(c, "SELECT @n AS n, @s AS s, @z AS z, @d AS d, HEX(@b) AS b, 'a' || 'b' AS piped"),
    // The statements prepared before, executed again with the client's ids…
    await rows(c, 'SELECT ? + 1 AS x, @s AS s', [41]),
    await rows(c, 'SELECT ? AS k, ? AS v', ['again', 8]),
    // …and a statement prepared after the move.
    await rows(c, 'SELECT ? * 2 AS y', [21]),
    await rows(c, 'SET autocommit = 1'),
    await rows(c, 'SELECT @@autocommit AS ac'),
  ].map(withoutVolatile);
}

/** OK packets carry server-specific counters that differ between two servers' sessions. */
function withoutVolatile(result: unknown): unknown {
  if (result !== null && typeof result === 'object' && 'affectedRows' in result) {
    const { affectedRows, insertId, warningStatus, info } = result as Record<string, unknown>;
    return { affectedRows, insertId, warningStatus, info };
  }
  return result;
}

async function connectionId(c: Connection): Promise<number> {
  const [r] = await c.query('SELECT CONNECTION_ID() AS id');
  return Number((r as Array<{ id: string }>)[0]!.id);
}

async function metricOf(cluster: Cluster, index: number, name: string): Promise<number> {
  const sample = (await cluster.engineMetrics()).find((m) => m.index === index);
  return sample?.values[name] ?? 0;
}

describe('live session migration (two engines, split shape)', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ shape: 'split', engines: 2, engineYaml: '  migration: { wait: 3s }\n' });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('mysql2: a session moves on SIGTERM with its schema, variables, charset, sql_mode, isolation, autocommit and prepared statements', async () => {
    const certs = await addUser(cluster, 'mig_m2');
    // The reference run: the same workload with no migration.
    const plain = await connectMysql2(cluster, certs);
    const expected = [...(await workloadBefore(plain)), ...(await workloadAfter(plain))];
    await plain.end();

    const c = await connectMysql2(cluster, certs);
    try {
      const threadBefore = await connectionId(c);
      const before = await workloadBefore(c);
      const starts = await auditOf(cluster, 'mig_m2', 'db.session.start');
      const sid = starts.find((e) => e.thread_id === threadBefore)?.sid;
      assert.ok(sid, 'the second session started');
      const from = Number(/^engine-(\d+)$/.exec(starts.find((e) => e.sid === sid)!.engine_id)![1]);
      await cluster.stopEngine(from);
      const after = await workloadAfter(c);
      assert.deepEqual([...before, ...after], expected, 'every statement gives what it gave with no migration');
      const threadAfter = await connectionId(c);
      assert.notEqual(threadAfter, threadBefore, 'CONNECTION_ID() is the new server thread');
      // The event sits in the stopped engine's spool until it runs again (docs/audit.md).
      await cluster.restartEngine(from);
      const migrate = await waitFor('the db.session.migrate event', async () =>
        (await auditOf(cluster, 'mig_m2', 'db.session.migrate')).find((e) => e.sid === sid),
      );
      assert.equal(migrate.from_engine_id, `engine-${from}`);
      assert.equal(migrate.to_engine_id, `engine-${1 - from}`);
      assert.equal(migrate.from_thread_id, threadBefore);
      assert.equal(migrate.to_thread_id, threadAfter);
    } finally {
      await c.end().catch(() => {});
    }
  });
});

export { engineOf, metricOf, spawn, mariadbCommand };
