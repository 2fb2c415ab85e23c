// One bucket layout for every latency histogram, in seconds: from 50 µs (a cached point query
// on a local socket) to 10 s (a report query), roughly 1-2.5-5 per decade, so p50/p95/p99
// interpolate within a factor of 2.5 anywhere in that range.
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Seconds since `startMs`, a performance.now() reading. */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
