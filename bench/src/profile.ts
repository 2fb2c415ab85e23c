// How big each measurement is, in the full run and in --short (about a minute in total).
export interface BenchProfile {
  /** Seconds per sysbench run (one run per workload × thread count × target). */
  readonly sysbenchSeconds: number;
  readonly sysbenchTables: number;
  readonly sysbenchTableSize: number;
  readonly bulkReadBytes: number;
  readonly bulkWriteBytes: number;
  /** Timed repetitions of each bulk transfer; the median is reported. */
  readonly bulkRepeats: number;
  /** Rounds of (audit on, query events off) sysbench runs; the mean of each is reported. */
  readonly auditRounds: number;
  /** Rounds of (metrics on, command latency metrics off); more, since the difference is small. */
  readonly metricsRounds: number;
  readonly idleSessions: number;
  readonly connectSeconds: number;
  readonly connectClients: number;
}

const MiB = 1024 * 1024;

export const FULL_PROFILE: BenchProfile = {
  sysbenchSeconds: 20,
  sysbenchTables: 4,
  sysbenchTableSize: 100_000,
  bulkReadBytes: 256 * MiB,
  bulkWriteBytes: 64 * MiB,
  bulkRepeats: 5,
  auditRounds: 2,
  metricsRounds: 6,
  idleSessions: 2_000,
  connectSeconds: 10,
  connectClients: 16,
};

export const SHORT_PROFILE: BenchProfile = {
  sysbenchSeconds: 2,
  sysbenchTables: 1,
  sysbenchTableSize: 10_000,
  bulkReadBytes: 32 * MiB,
  bulkWriteBytes: 8 * MiB,
  bulkRepeats: 1,
  auditRounds: 1,
  metricsRounds: 1,
  idleSessions: 200,
  connectSeconds: 3,
  connectClients: 16,
};
