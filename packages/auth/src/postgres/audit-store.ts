// The audit store on PostgreSQL. Each writer (each auth process) keeps its own hash chain:
// every row carries the writer id and its seq, and gh_audit_head holds the writer's last
// (seq, hash), updated in the same transaction. Appends are grouped: everything that arrives
// while a transaction is in flight goes into the next one. Redelivered uids are dropped by the
// unique index on gh_audit_uid, not by a lookup.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type AuditEvent, AuditFailure, parseAuditEvent } from '@gatehouse/common';
import type { AppendOptions, AppendResult, AuditSearchFilter, AuditStore, VerifyReport } from '../audit/audit-store.js';
import { canonicalEventJson } from '../audit/canonical-event.js';
import { GENESIS_HASH, hashRecord } from '../audit/chain-record.js';
import { pagePostgresAudit, pagePostgresSessions } from './audit-pages.js';
import { dayOf, dropPartitionsBefore, ensurePartitions, type PruneResult } from './audit-partitions.js';
import { searchPostgresAudit } from './audit-search.js';
import { verifyPostgresAudit } from './audit-verify.js';
import type { Sql } from './transactions.js';

export interface PostgresAuditStoreOptions {
  readonly sql: Sql;
  /** This process's chain; default a fresh id per open (host name and random suffix). */
  readonly writerId?: string;
  /** `audit.retention` in ms: partitions older than this are dropped (checked hourly). */
  readonly retentionMs?: number;
  /** Clock, for tests of retention and partitions. */
  readonly now?: () => number;
  /** Closes the shared storage too, when this store owns it. */
  readonly onClose?: () => Promise<void>;
}

export interface PostgresAuditStore extends AuditStore {
  readonly writerId: string;
  /** Drops the partitions past retention now (also runs on a timer). */
  prune(): Promise<PruneResult>;
}

interface PendingAppend {
  readonly events: readonly AuditEvent[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (err: unknown) => void;
}

const PRUNE_EVERY_MS = 3_600_000;

const COLUMNS = [
  'writer',
  'seq',
  'stored',
  'uid',
  'time',
  'event_type',
  'usr',
  'db_service',
  'db_name',
  'sid',
  'query',
  'prev',
  'hash',
  'body',
];
const TYPES = [
  'text',
  'int8',
  'timestamptz',
  'text',
  'timestamptz',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
];
// One INSERT … SELECT FROM unnest(arrays) per batch: 14 parameters whatever the batch size.
const INSERT_ROWS = `INSERT INTO gh_audit (${COLUMNS.join(', ')}) SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;

export async function openPostgresAuditStore(options: PostgresAuditStoreOptions): Promise<PostgresAuditStore> {
  const { sql } = options;
  const now = options.now ?? Date.now;
  const writerId = options.writerId ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
  const partitions = new Set<string>();
  await ensurePartitions(sql, now(), partitions);
  await sql.query('INSERT INTO gh_audit_head (writer, seq, hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING', [
    writerId,
    GENESIS_HASH,
  ]);
  let lastStored = 0;
  let pending: PendingAppend[] = [];
  let flushing = false;
  let closed = false;
  let idle: Array<() => void> = [];

  const writeBatch = async (batch: PendingAppend[]): Promise<AppendResult[]> => {
    // Monotonic per writer, so a writer's rows are ordered by partition too (see migrations).
    const stored = Math.max(now(), lastStored);
    if (!partitions.has(dayOf(stored))) await ensurePartitions(sql, stored, partitions);
    const all = batch.flatMap((r) => r.events);
    // No advisory lock: writers do not share rows, and the head row is locked FOR UPDATE.
    return sql.transaction(undefined, async () => {
      const { rows: heads } = await sql.query<{ seq: string; hash: string }>(
        'SELECT seq, hash FROM gh_audit_head WHERE writer = $1 FOR UPDATE',
        [writerId],
      );
      const head = heads[0];
      if (!head) throw new AuditFailure('GH_ERR_AUDIT_WRITE', `the chain head of writer ${writerId} is gone`);
      const storedAt = new Date(stored);
      const { rows: fresh } = await sql.query<{ uid: string }>(
        'INSERT INTO gh_audit_uid (uid, stored) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING RETURNING uid',
        [all.map((e) => e.uid), storedAt],
      );
      const isFresh = new Set(fresh.map((r) => r.uid));
      const cols: unknown[][] = COLUMNS.map(() => []);
      let seq = Number(head.seq);
      let prev = head.hash;
      const results: AppendResult[] = [];
      for (const request of batch) {
        let appended = 0;
        for (const event of request.events) {
          // A uid twice in one batch is fresh once: delete marks it taken.
          if (!isFresh.delete(event.uid)) continue;
          seq++;
          const body = canonicalEventJson(event);
          const hash = hashRecord(seq, prev, body);
          const query = (event as { query?: unknown }).query;
          const row = [
            writerId,
            seq,
            storedAt,
            event.uid,
            event.time,
            event.event,
            event.user,
            event.db_service,
            event.db_name,
            event.sid,
            typeof query === 'string' ? query : null,
            prev,
            hash,
            body,
          ];
          for (let i = 0; i < row.length; i++) cols[i]!.push(row[i]);
          prev = hash;
          appended++;
        }
        results.push({ appended, duplicates: request.events.length - appended });
      }
      if (seq > Number(head.seq)) {
        await sql.query(INSERT_ROWS, cols);
        await sql.query('UPDATE gh_audit_head SET seq = $2, hash = $3 WHERE writer = $1', [writerId, seq, prev]);
      }
      lastStored = stored;
      return results;
    });
  };

  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        const results = await writeBatch(batch);
        for (const [i, request] of batch.entries()) request.resolve(results[i]!);
      } catch (err) {
        const failure = new AuditFailure('GH_ERR_AUDIT_WRITE', 'could not write audit events to PostgreSQL', {
          cause: err,
        });
        for (const request of batch) request.reject(failure);
      }
    }
    flushing = false;
    const waiters = idle;
    idle = [];
    for (const w of waiters) w();
  };

  const retentionMs = options.retentionMs;
  const prune = (): Promise<PruneResult> =>
    retentionMs === undefined ? Promise.resolve({ partitions: [] }) : dropPartitionsBefore(sql, now() - retentionMs);
  const pruneTimer =
    retentionMs === undefined ? undefined : setInterval(() => void prune().catch(() => undefined), PRUNE_EVERY_MS);
  pruneTimer?.unref();

  return {
    writerId,
    append(events, appendOptions?: AppendOptions) {
      if (closed) return Promise.reject(new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit store is closed'));
      let parsed: readonly AuditEvent[] = events;
      if (appendOptions?.validated !== true) {
        try {
          parsed = events.map((e) => parseAuditEvent(e));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return new Promise<AppendResult>((resolve, reject) => {
        pending.push({ events: parsed, resolve, reject });
        if (!flushing) {
          flushing = true;
          setImmediate(() => void flush());
        }
      });
    },
    search: (filter: AuditSearchFilter) => searchPostgresAudit(sql, filter),
    searchPage: (filter) => pagePostgresAudit(sql, filter),
    sessions: (filter) => pagePostgresSessions(sql, filter),
    verify: (): Promise<VerifyReport> => verifyPostgresAudit(sql),
    prune,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pruneTimer);
      if (flushing) await new Promise<void>((resolve) => idle.push(resolve));
      await options.onClose?.();
    },
  };
}
