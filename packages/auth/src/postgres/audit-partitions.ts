// Daily partitions of gh_audit, named by UTC date (gh_audit_p20250301). They are created ahead of
// need, and retention drops whole ones: no DELETE scan, no bloat.
import type { Sql } from './transactions.js';

const DAY_MS = 86_400_000;
/** pg_advisory_xact_lock key for partition DDL, so two processes never race on CREATE/DROP. */
export const PARTITION_LOCK = 0x61756470; // "audp"

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function partitionName(day: string): string {
  return `gh_audit_p${day.replaceAll('-', '')}`;
}

/** Makes sure the partitions for the days around `ms` exist; `known` caches what was made. */
export async function ensurePartitions(sql: Sql, ms: number, known: Set<string>): Promise<void> {
  const days = [ms - DAY_MS, ms, ms + DAY_MS].map(dayOf).filter((d) => !known.has(d));
  if (days.length === 0) return;
  await sql.transaction(PARTITION_LOCK, async () => {
    for (const day of days) {
      const from = `${day}T00:00:00Z`;
      const to = new Date(Date.parse(from) + DAY_MS).toISOString();
      await sql.query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF gh_audit FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    }
  });
  for (const day of days) known.add(day);
}

export interface PruneResult {
  readonly partitions: readonly string[];
}

/**
 * Drops the partitions that end at or before `cutoff`. Before each drop, the last (seq, hash)
 * of every chain in it is kept in gh_audit_pruned, so verification continues from there.
 */
export async function dropPartitionsBefore(sql: Sql, cutoff: number): Promise<PruneResult> {
  const dropped: string[] = [];
  await sql.transaction(PARTITION_LOCK, async () => {
    const { rows } = await sql.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'gh_audit'::regclass ORDER BY c.relname`,
    );
    for (const { name } of rows) {
      const m = /^gh_audit_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) continue;
      const end = Date.parse(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`) + DAY_MS;
      if (end > cutoff) continue;
      await sql.query(
        `INSERT INTO gh_audit_pruned (writer, seq, hash)
         SELECT DISTINCT ON (writer) writer, seq, hash FROM ${name} ORDER BY writer, seq DESC
         ON CONFLICT (writer) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
         WHERE excluded.seq > gh_audit_pruned.seq`,
      );
      await sql.query(`DROP TABLE ${name}`);
      await sql.query('DELETE FROM gh_audit_uid WHERE stored < $1', [new Date(end)]);
      dropped.push(name);
    }
  });
  return { partitions: dropped };
}
