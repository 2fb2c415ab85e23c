// One scrape for a process whose sessions run in worker threads (the cost-per-query issue):
// every worker keeps its own registries and answers a request with their values as JSON
// (registry.getMetricsAsJSON()); the main thread merges them with its own by prom-client's
// AggregatorRegistry.aggregate, which applies each metric's `aggregator` (sum for counters and
// histograms, including CellHistogram, and per metric for gauges).
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from './metrics-source.js';

/** What one registry reports for aggregation: registry.getMetricsAsJSON()'s result. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * A source that serves `local` merged with what `fromWorkers` returns (one entry per worker,
 * asked at scrape time). Process metrics should be registered in `local` only, since the
 * workers share the process.
 */
export function aggregatedMetricsSource(
  local: Registry,
  fromWorkers: () => Promise<readonly MetricsJson[]>,
): MetricsSource {
  return {
    contentType: local.contentType,
    async metrics() {
      const all = [await local.getMetricsAsJSON(), ...(await fromWorkers())];
      return AggregatorRegistry.aggregate(all as object[]).metrics();
    },
  };
}
