// The audit store's metrics (docs/metrics.md): how long an append takes to be durable (the
// caller's wait, group commit included), how long each group write and sync takes, and the
// events written. Registered on the registry of the part that runs the store (the proxy's).
import { LATENCY_BUCKETS } from '@gatehouse/common/metrics';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AuditStore } from './audit-store.js';

export interface AuditMetrics {
  /** Pass as the JSONL store's onGroupWritten. */
  readonly onGroupWritten: (seconds: number) => void;
  /** The store, with every append timed and its events counted. */
  instrument<T extends AuditStore>(store: T): T;
}

export function createAuditMetrics(registry: Registry): AuditMetrics {
  const registers = [registry];
  const append = new Histogram({
    name: 'gatehouse_audit_append_seconds',
    help: 'Time from an audit append to its events being durable in the log (group commit included).',
    buckets: [...LATENCY_BUCKETS],
    registers,
  });
  const flush = new Histogram({
    name: 'gatehouse_audit_flush_seconds',
    help: 'Time of one group write of the audit log, write and sync.',
    buckets: [...LATENCY_BUCKETS],
    registers,
  });
  const written = new Counter({
    name: 'gatehouse_audit_events_written_total',
    help: 'Audit events written to the log (duplicates of events already stored are not counted).',
    registers,
  });
  const failed = new Counter({
    name: 'gatehouse_audit_append_failures_total',
    help: 'Audit appends that failed (the caller keeps or spools the events and retries).',
    registers,
  });
  return {
    onGroupWritten: (seconds) => flush.observe(seconds),
    instrument(store) {
      const inner = store.append.bind(store);
      // A view of the same store whose append is timed; everything else is the store's own.
      const view = Object.create(store) as typeof store;
      view.append = (events, options) => {
        const started = performance.now();
        const result = inner(events, options);
        result.then(
          (r) => {
            append.observe((performance.now() - started) / 1000);
            written.inc(r.appended);
          },
          () => failed.inc(),
        );
        return result;
      };
      return view;
    },
  };
}
