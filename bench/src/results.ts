// What one bench run measured: per metric, per target, a number or why there is none.
export interface MetricSpec {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  /** Decimals shown in the absolute table. */
  readonly digits: number;
  /** Left out of the ratio table: e.g. a gateway's RSS against MariaDB's means nothing. */
  readonly noRatio?: true;
}

export type Cell =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'failed'; readonly reason: string };

export interface Results {
  readonly metrics: MetricSpec[];
  /** metric id → target name → cell */
  readonly cells: Map<string, Map<string, Cell>>;
  /** Lines printed under the tables (what was not measured and why, caveats). */
  readonly notes: string[];
}

export function createResults(): Results {
  return { metrics: [], cells: new Map(), notes: [] };
}

function row(results: Results, metric: MetricSpec): Map<string, Cell> {
  let cells = results.cells.get(metric.id);
  if (!cells) {
    cells = new Map();
    results.cells.set(metric.id, cells);
    results.metrics.push(metric);
  }
  return cells;
}

export function recordValue(results: Results, metric: MetricSpec, target: string, value: number): void {
  row(results, metric).set(target, { kind: 'value', value });
}

export function recordFailure(results: Results, metric: MetricSpec, target: string, reason: string): void {
  row(results, metric).set(target, { kind: 'failed', reason });
}

export function readValue(results: Results, metricId: string, target: string): number | undefined {
  const cell = results.cells.get(metricId)?.get(target);
  return cell?.kind === 'value' ? cell.value : undefined;
}

/** The metric ids the measurements use, so the DESIGN checks can find them. */
export const metricIds = {
  sysbenchQps: (workload: string, threads: number) => `sysbench.${workload}.t${threads}.qps`,
  sysbenchP95: (workload: string, threads: number) => `sysbench.${workload}.t${threads}.p95`,
  sysbenchCpu: (workload: string, threads: number) => `sysbench.${workload}.t${threads}.cpu`,
  bulkRead: 'bulk-read.seconds',
  bulkWrite: 'bulk-write.seconds',
  bulkReadCpu: 'bulk-read.cpu-seconds',
  bulkWriteCpu: 'bulk-write.cpu-seconds',
  idleKiB: 'idle-memory.kib-per-session',
  idleBase: 'idle-memory.base-rss',
  connectRate: 'connect-rate.per-second',
  connectRateResumed: 'connect-rate.resumed.per-second',
  connectRateNoDbResume: 'connect-rate.no-db-resumption.per-second',
  connectRateResumedNoDbResume: 'connect-rate.resumed.no-db-resumption.per-second',
  connectRateAutoUser: 'connect-rate.auto-db-user.per-second',
  auditQpsOn: 'audit.qps-on',
  auditQpsOff: 'audit.qps-off',
  metricsQpsOn: 'metrics.qps-on',
  metricsQpsOff: 'metrics.qps-off',
  hooksQpsNone: 'hooks.qps-none',
  hooksQpsConnect: 'hooks.qps-connect-only',
  hooksQpsCommand: 'hooks.qps-on-command',
  auditQpsSyncBatch: 'audit.qps-sync-batch',
  auditQpsSyncAlways: 'audit.qps-sync-always',
  auditQpsWriterThread: 'audit.qps-writer-thread',
} as const;
