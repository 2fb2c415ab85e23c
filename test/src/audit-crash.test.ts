// Issue 22: no acknowledged statement without its audit event, even when a process is killed.
// Real MariaDB, mysql2 clients and `gatehouse start` processes, killed with SIGKILL under load.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { connectMysql2 } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';
import { assertAuditMatches, insertUntilKilled, waitForSpoolDrained } from './support/crash-load.js';

const LOAD = { connections: 4, killAfter: 300, maxIds: 200_000 };

async function addAlice(cluster: Cluster): Promise<UserCerts> {
  const add = await cluster.gatectl(['users', 'add', 'alice', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
  assert.equal(add.code, 0, add.stderr);
  return cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
}

async function spoolMetric(cluster: Cluster, name: string): Promise<number> {
  const [sample] = await cluster.engineMetrics();
  assert.ok(sample, 'an engine answers /metrics');
  const value = sample.values[name];
  assert.equal(typeof value, 'number', `${name} is exported`);
  return value!;
}

/** Runs five queries, then the engine's fsync counter must equal `per` (writes or events). */
async function assertFsyncsMatch(cluster: Cluster, alice: UserCerts, per: string): Promise<void> {
  const c = await connectMysql2(cluster, alice, { database: 'app' });
  for (let i = 0; i < 5; i++) await c.query('SELECT 1');
  await c.end();
  // The session's end event is written after the client has gone, and a sync may be in flight
  // when /metrics answers: wait until the counters settle, then they must agree.
  await waitForSpoolDrained(cluster);
  const counts = await waitFor(
    `${per} to match the fsyncs`,
    async () => {
      const expected = await spoolMetric(cluster, per);
      const fsyncs = await spoolMetric(cluster, 'gatehouse_engine_audit_spool_fsyncs_total');
      return fsyncs === expected ? { expected, fsyncs } : undefined;
    },
    10_000,
  );
  assert.ok(counts.expected >= 5);
}

describe('audit survives kill -9 (split: auth+proxy, engine; spool_sync batch)', () => {
  let cluster: Cluster;
  let alice: UserCerts;
  before(async () => {
    cluster = await startCluster({ shape: 'split', engines: 1, spoolSync: 'batch' });
    alice = await addAlice(cluster);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kill -9 of the engine under INSERT load: every acknowledged INSERT is audited exactly once', async () => {
    const load = await insertUntilKilled(cluster, alice, 'crash_engine', {
      ...LOAD,
      kill: () => cluster.killEngine(0),
    });
    await cluster.restartEngine(0);
    await waitForSpoolDrained(cluster);
    await assertAuditMatches(cluster, 'crash_engine', load);
  });

  test('kill -9 of auth+proxy under INSERT load: every acknowledged INSERT is audited exactly once', async () => {
    const load = await insertUntilKilled(cluster, alice, 'crash_proxy', { ...LOAD, kill: () => cluster.killProxy() });
    await cluster.startProxyAgain();
    await waitForSpoolDrained(cluster);
    await assertAuditMatches(cluster, 'crash_proxy', load);
  });

  test('spool_sync batch: one fdatasync per spool write', async () => {
    await assertFsyncsMatch(cluster, alice, 'gatehouse_engine_audit_spool_writes_total');
  });

  test('a spool cut off mid-record: the engine drops the partial record with a log line and delivers the rest', async () => {
    // A real event, as the store holds it, under a new uid: a whole record the store has never seen.
    const r = await cluster.gatectl([
      'audit',
      'search',
      '--type',
      'db.session.query',
      '--limit',
      '1',
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [model] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.ok(model);
    const marker = `spool_repair_${Date.now().toString(36)}`;
    const whole = { ...model, uid: crypto.randomUUID(), query: `SELECT '${marker}'`, query_length: marker.length + 9 };
    await cluster.killEngine(0);
    const spoolFile = join(cluster.engineDataDir(0), 'audit-spool', 'spool.jsonl');
    const partialUid = crypto.randomUUID();
    // What a write cut short leaves: the start of a record, no newline.
    const partial = JSON.stringify({ uid: partialUid, time: model.time, event: model.event }).slice(0, 70);
    appendFileSync(spoolFile, `${JSON.stringify(whole)}\n${partial}`);
    await cluster.restartEngine(0);
    await waitForSpoolDrained(cluster);
    assert.equal(await spoolMetric(cluster, 'gatehouse_engine_audit_spool_repaired_records_total'), 1);
    assert.match(cluster.logs(), /audit spool: dropped a partial record/);
    assert.ok(!readFileSync(spoolFile, 'utf8').includes(partialUid), 'the partial record is gone from the spool');
    await waitFor('the whole record in the audit log', async () => {
      const found = await cluster.gatectl(['audit', 'search', '--query', marker, '--format', 'json']);
      const events = JSON.parse(found.stdout) as Array<{ uid: string }>;
      return events.length === 1 && events[0]!.uid === whole.uid ? true : undefined;
    });
    const verify = await cluster.gatectl(['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});

describe('audit survives kill -9 (single process; spool_sync always; the store in its writer thread)', () => {
  let cluster: Cluster;
  let alice: UserCerts;
  before(async () => {
    // The writer thread dies with the process mid-write: the spool's redelivery and the store's
    // dedupe by uid must still leave every acknowledged INSERT audited exactly once.
    cluster = await startCluster({ shape: 'single', spoolSync: 'always', writerThread: 'on' });
    alice = await addAlice(cluster);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kill -9 of the one process under INSERT load: every acknowledged INSERT is audited exactly once', async () => {
    assert.match(cluster.logs(), /"auditWriterThread":true/, 'the store runs in its writer thread');
    const load = await insertUntilKilled(cluster, alice, 'crash_single', { ...LOAD, kill: () => cluster.killProxy() });
    await cluster.startProxyAgain();
    await waitForSpoolDrained(cluster);
    await assertAuditMatches(cluster, 'crash_single', load);
  });

  test('spool_sync always: one fdatasync per event', async () => {
    await assertFsyncsMatch(cluster, alice, 'gatehouse_engine_audit_spool_events_total');
  });
});
