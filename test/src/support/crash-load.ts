// Issue 22's table as a test: mysql2 connections run autocommit INSERTs through the gateway
// until N have been acknowledged, then a process is killed with SIGKILL. After the restart and
// once the spool has drained, every acknowledged INSERT must be in the audit log exactly once.
import assert from 'node:assert/strict';
import { waitFor } from '@gatehouse/testing';
import { connectMysql2 } from './clients.js';
import type { Cluster, UserCerts } from './cluster.js';

export interface LoadResult {
  /** The ids whose INSERT the client saw acknowledged. */
  readonly acked: ReadonlySet<number>;
}

/**
 * Runs `connections` INSERT loops into `table` (ids from one counter) and calls `kill` once
 * `killAfter` INSERTs are acknowledged; each loop ends at its first error (the kill) or when
 * `maxIds` ids are used up, so the load is bounded either way.
 */
export async function insertUntilKilled(
  cluster: Cluster,
  certs: UserCerts,
  table: string,
  options: { connections: number; killAfter: number; maxIds: number; kill: () => Promise<void> },
): Promise<LoadResult> {
  const setup = await connectMysql2(cluster, certs, { database: 'app' });
  await setup.query(`CREATE TABLE ${table} (id INT PRIMARY KEY)`);
  await setup.end();
  const conns = await Promise.all(
    Array.from({ length: options.connections }, () => connectMysql2(cluster, certs, { database: 'app' })),
  );
  const acked = new Set<number>();
  let next = 1;
  let killing: Promise<void> | undefined;
  const loop = async (c: (typeof conns)[number]): Promise<void> => {
    c.on('error', () => {});
    for (;;) {
      const id = next++;
      if (id > options.maxIds) return;
      try {
        await c.query(`INSERT INTO ${table} (id) VALUES (${id})`);
      } catch {
        return;
      }
      acked.add(id);
      if (acked.size >= options.killAfter) killing ??= options.kill();
    }
  };
  await Promise.all(conns.map(loop));
  for (const c of conns) c.destroy();
  assert.ok(
    killing !== undefined,
    `the load reached ${options.killAfter} acknowledged INSERTs before ${options.maxIds} ids`,
  );
  await killing;
  return { acked };
}

/** Waits until every engine reports an empty spool (everything acknowledged by the store). */
export async function waitForSpoolDrained(cluster: Cluster): Promise<void> {
  await waitFor(
    'the audit spool to drain',
    async () => {
      const samples = await cluster.engineMetrics();
      if (samples.length === 0) return undefined;
      return samples.every((s) => s.values.gatehouse_engine_audit_spool_bytes === 0) ? true : undefined;
    },
    60_000,
  );
}

/** How many times each id's INSERT into `table` is in the audit log. */
export async function auditedInserts(cluster: Cluster, table: string): Promise<Map<number, number>> {
  const r = await cluster.gatectl([
    'audit',
    'search',
    '--type',
    'db.session.query',
    '--query',
    `INSERT INTO ${table} `,
    '--limit',
    '1000000',
    '--format',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const counts = new Map<number, number>();
  for (const e of JSON.parse(r.stdout) as Array<{ query: string; outcome: { kind: string } }>) {
    const m = /VALUES \((\d+)\)$/.exec(e.query);
    if (m === null || e.outcome.kind !== 'ok') continue;
    const id = Number(m[1]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** 0 acknowledged INSERTs missing from the audit log, 0 audited twice, and the chain verifies. */
export async function assertAuditMatches(cluster: Cluster, table: string, load: LoadResult): Promise<void> {
  const audited = await auditedInserts(cluster, table);
  const missing = [...load.acked].filter((id) => !audited.has(id));
  const duplicated = [...audited].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(
    { missing: missing.slice(0, 20), duplicated: duplicated.slice(0, 20) },
    { missing: [], duplicated: [] },
    `${load.acked.size} acknowledged, ${audited.size} audited`,
  );
  // Every audited INSERT ran: its row is in the table (the engine audits outcomes, not attempts).
  const rows = await cluster.db.sql(`SELECT id FROM app.${table}`);
  const ids = new Set(rows.map((r) => Number(r.id)));
  for (const id of load.acked) assert.ok(ids.has(id), `acknowledged id ${id} is in the table`);
  for (const id of audited.keys()) assert.ok(ids.has(id), `audited id ${id} is in the table`);
  const verify = await cluster.gatectl(['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
}
