// Metrics of an engine's audit spool (docs/metrics.md), read from the spool pipeline at scrape
// time: the write path (events, write(2) calls, fsyncs per audit.spool_sync), what waits for the
// audit store and how old the oldest waiting event is, what was delivered, and what the start-up
// repair and the reader passed over. Both deployment shapes spool, so both export these.
// Nothing here runs per event: the pipeline keeps plain numbers.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SpoolMetrics } from './spool-pipeline.js';

type Read = () => SpoolMetrics | undefined;

/** A counter whose value is a running total kept elsewhere, set at each scrape. */
function totalCounter(
  registry: Registry,
  name: string,
  help: string,
  read: Read,
  pick: (m: SpoolMetrics) => number,
): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const m = read();
      this.reset();
      if (m !== undefined) this.inc(pick(m));
    },
  });
}

export function registerSpoolMetrics(registry: Registry, read: Read): void {
  const registers = [registry];
  new Gauge({
    name: 'gatehouse_engine_audit_spool_bytes',
    help: 'Bytes of audit events in the engine spool not yet acknowledged by the audit store.',
    registers,
    collect() {
      this.set(read()?.pendingBytes ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_engine_audit_spool_oldest_age_seconds',
    help: 'Age of the oldest audit event waiting in the engine spool (0 when it is empty).',
    registers,
    collect() {
      const m = read();
      const oldest = m?.oldestWaiting;
      this.set(
        m === undefined || m.pendingBytes === 0 || oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      );
    },
  });
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_events_total',
    'Audit events written to the engine spool.',
    read,
    (m) => m.events,
  );
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_writes_total',
    'write(2) calls appending audit events to the engine spool.',
    read,
    (m) => m.writes,
  );
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_fsyncs_total',
    'fdatasync calls on the engine spool (audit.spool_sync).',
    read,
    (m) => m.fsyncs,
  );
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_delivered_total',
    'Audit events delivered from the engine spool to the audit store and acknowledged.',
    read,
    (m) => m.delivered,
  );
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_delivery_failures_total',
    'Deliveries from the engine spool that failed and will be retried (the events stay spooled).',
    read,
    (m) => m.deliveryFailures,
  );
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_repaired_records_total',
    'Partial records a crash left at the end of the spool, cut when it was opened.',
    read,
    (m) => m.repairedRecords,
  );
  totalCounter(
    registry,
    'gatehouse_engine_audit_spool_skipped_lines_total',
    'Unparsable spool lines the reader passed over.',
    read,
    (m) => m.skippedLines,
  );
}
