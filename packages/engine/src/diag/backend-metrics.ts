// Per-backend gauges from the monitor, and the connection hooks' counters, on the engine's
// prom-client registry (docs/metrics.md). The gauges and counters are read at scrape time from
// the monitor's last view and the hook runner's plain counters; the hook-time histogram is fed
// once per hook call (a login's cost, not a query's).

import { LATENCY_BUCKETS } from '@gatehouse/common/metrics';
import type { DatabaseInfo } from '@gatehouse/tunnel';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { HookRunner } from '../hooks/hook-runner.js';

export interface BackendMetricsSource {
  readonly databases: () => readonly DatabaseInfo[];
  /** Open sessions per "db\u0000backend uri". */
  readonly sessions: () => ReadonlyMap<string, number>;
}

export function registerBackendMetrics(registry: Registry, source: BackendMetricsSource): void {
  const registers = [registry];
  const labelNames = ['db', 'backend', 'role'] as const;
  // Each gauge walks the monitor's view; the backends are few, the walk is per scrape.
  const eachBackend = (
    gauge: Gauge<'db' | 'backend' | 'role'>,
    value: (db: DatabaseInfo, b: NonNullable<DatabaseInfo['backends']>[number]) => number | undefined,
  ): void => {
    gauge.reset();
    for (const db of source.databases()) {
      for (const b of db.backends ?? []) {
        const v = value(db, b);
        if (v !== undefined) gauge.set({ db: db.name, backend: b.uri, role: b.role }, v);
      }
    }
  };
  new Gauge({
    name: 'gatehouse_engine_backend_up',
    help: 'Whether the monitor reached the backend at its last check.',
    labelNames,
    registers,
    collect() {
      eachBackend(this, (_db, b) => (b.health === 'healthy' ? 1 : 0));
    },
  });
  new Gauge({
    name: 'gatehouse_engine_backend_primary',
    help: 'Whether the monitor sees the backend as writable (the primary).',
    labelNames,
    registers,
    collect() {
      eachBackend(this, (_db, b) => (b.role === 'primary' ? 1 : 0));
    },
  });
  new Gauge({
    name: 'gatehouse_engine_backend_sessions_open',
    help: 'Sessions in progress on the backend.',
    labelNames,
    registers,
    collect() {
      const open = source.sessions();
      eachBackend(this, (db, b) => open.get(`${db.name}\u0000${b.uri}`) ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_engine_backend_replication_lag_seconds',
    help: 'Seconds_Behind_Master of a replicating backend.',
    labelNames,
    registers,
    collect() {
      eachBackend(this, (_db, b) => (typeof b.lagSeconds === 'number' ? b.lagSeconds : undefined));
    },
  });
}

export function registerHookMetrics(registry: Registry, hooks: Pick<HookRunner, 'counters' | 'observeTime'>): void {
  const registers = [registry];
  const counters = hooks.counters;
  const seconds = new Histogram({
    name: 'gatehouse_engine_hook_seconds',
    help: 'Time of one hook call, by hook, however it ended (denied, failed, timed out).',
    labelNames: ['hook'],
    buckets: [...LATENCY_BUCKETS],
    registers,
  });
  hooks.observeTime = (hook, s) => seconds.observe({ hook }, s);
  new Counter({
    name: 'gatehouse_engine_hook_calls_total',
    help: 'Hook calls (engine.hooks), every hook.',
    registers,
    collect() {
      this.reset();
      this.inc(counters.calls);
    },
  });
  new Counter({
    name: 'gatehouse_engine_hook_outcomes_total',
    help: 'Hook calls that denied (a session or a command), threw, or ran over the budget.',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      this.inc({ outcome: 'denied' }, counters.denied);
      this.inc({ outcome: 'failed' }, counters.failed);
      this.inc({ outcome: 'timeout' }, counters.timedOut);
    },
  });
}
