// Per-backend gauges from the monitor, and the connection hooks' counters, in Prometheus text
// format, appended to the engine's /metrics.
import type { DatabaseInfo } from '@gatehouse/tunnel';
import type { HookCounters } from '../hooks/hook-runner.js';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `sessions`: open sessions per "db\u0000backend uri". */
export function renderBackendMetrics(databases: readonly DatabaseInfo[], sessions: ReadonlyMap<string, number> = new Map()): string {
  const up: string[] = [];
  const open: string[] = [];
  const primary: string[] = [];
  const lag: string[] = [];
  for (const db of databases) {
    for (const b of db.backends ?? []) {
      const labels = `db="${escapeLabel(db.name)}",backend="${escapeLabel(b.uri)}",role="${b.role}"`;
      up.push(`gatehouse_engine_backend_up{${labels}} ${b.health === 'healthy' ? 1 : 0}`);
      primary.push(`gatehouse_engine_backend_primary{${labels}} ${b.role === 'primary' ? 1 : 0}`);
      open.push(`gatehouse_engine_backend_sessions_open{${labels}} ${sessions.get(`${db.name}\u0000${b.uri}`) ?? 0}`);
      if (typeof b.lagSeconds === 'number') lag.push(`gatehouse_engine_backend_replication_lag_seconds{${labels}} ${b.lagSeconds}`);
    }
  }
  const lines = [
    '# HELP gatehouse_engine_backend_up Whether the monitor reached the backend at its last check.',
    '# TYPE gatehouse_engine_backend_up gauge',
    ...up,
    '# HELP gatehouse_engine_backend_primary Whether the monitor sees the backend as writable (the primary).',
    '# TYPE gatehouse_engine_backend_primary gauge',
    ...primary,
    '# HELP gatehouse_engine_backend_sessions_open Sessions in progress on the backend.',
    '# TYPE gatehouse_engine_backend_sessions_open gauge',
    ...open,
    '# HELP gatehouse_engine_backend_replication_lag_seconds Seconds_Behind_Master of a replicating backend.',
    '# TYPE gatehouse_engine_backend_replication_lag_seconds gauge',
    ...lag,
  ];
  return `${lines.join('\n')}\n`;
}

export function renderHookMetrics(counters: HookCounters): string {
  return [
    '# HELP gatehouse_engine_hook_calls_total Connection hook calls (engine.hooks).',
    '# TYPE gatehouse_engine_hook_calls_total counter',
    `gatehouse_engine_hook_calls_total ${counters.calls}`,
    '# HELP gatehouse_engine_hook_outcomes_total Hook calls that denied the session, threw, or ran over the budget.',
    '# TYPE gatehouse_engine_hook_outcomes_total counter',
    `gatehouse_engine_hook_outcomes_total{outcome="denied"} ${counters.denied}`,
    `gatehouse_engine_hook_outcomes_total{outcome="failed"} ${counters.failed}`,
    `gatehouse_engine_hook_outcomes_total{outcome="timeout"} ${counters.timedOut}`,
    '',
  ].join('\n');
}
