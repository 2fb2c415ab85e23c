// Per-backend gauges from the monitor, in Prometheus text format, appended to the engine's
// /metrics: whether each backend is up, its role, and its replication lag.
import type { DatabaseInfo } from '@gatehouse/common';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderBackendMetrics(databases: readonly DatabaseInfo[]): string {
  const up: string[] = [];
  const primary: string[] = [];
  const lag: string[] = [];
  for (const db of databases) {
    for (const b of db.backends ?? []) {
      const labels = `db="${escapeLabel(db.name)}",backend="${escapeLabel(b.uri)}",role="${b.role}"`;
      up.push(`gatehouse_engine_backend_up{${labels}} ${b.health === 'healthy' ? 1 : 0}`);
      primary.push(`gatehouse_engine_backend_primary{${labels}} ${b.role === 'primary' ? 1 : 0}`);
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
    '# HELP gatehouse_engine_backend_replication_lag_seconds Seconds_Behind_Master of a replicating backend.',
    '# TYPE gatehouse_engine_backend_replication_lag_seconds gauge',
    ...lag,
  ];
  return `${lines.join('\n')}\n`;
}
