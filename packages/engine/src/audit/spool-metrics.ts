// Metrics of an engine's audit spool (docs/metrics.md): what waits in it, how old the oldest
// waiting event is, and the events delivered from it to the proxy. The spool is read by the
// forwarder oldest first, so the first event of the batch in flight is the oldest waiting.
import type { AuditEvent } from '@gatehouse/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditSpool } from './spool.js';

export interface SpoolMetrics {
  /** Wraps the forwarder's send: notes the oldest waiting event, counts what was delivered. */
  wrapSend(send: (events: readonly AuditEvent[]) => Promise<void>): (events: readonly AuditEvent[]) => Promise<void>;
}

export function createSpoolMetrics(registry: Registry, spool: AuditSpool): SpoolMetrics {
  const registers = [registry];
  let oldest: number | undefined;
  new Gauge({
    name: 'gatehouse_engine_audit_spool_bytes',
    help: 'Bytes of audit events in the engine spool not yet acknowledged by the proxy.',
    registers,
    collect() {
      this.set(spool.pendingBytes());
    },
  });
  new Gauge({
    name: 'gatehouse_engine_audit_spool_oldest_age_seconds',
    help: 'Age of the oldest audit event waiting in the engine spool (0 when it is empty).',
    registers,
    collect() {
      this.set(spool.pendingBytes() === 0 || oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  const delivered = new Counter({
    name: 'gatehouse_engine_audit_spool_delivered_total',
    help: 'Audit events delivered from the engine spool to the proxy and acknowledged.',
    registers,
  });
  const failures = new Counter({
    name: 'gatehouse_engine_audit_spool_delivery_failures_total',
    help: 'Deliveries from the engine spool that failed and will be retried (the events stay spooled).',
    registers,
  });
  return {
    wrapSend: (send) => async (events) => {
      const first = events[0];
      if (first !== undefined) oldest = Date.parse(first.time);
      try {
        await send(events);
      } catch (err) {
        failures.inc();
        throw err;
      }
      delivered.inc(events.length);
    },
  };
}
