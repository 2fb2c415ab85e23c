// What a diagnostics listener serves on /metrics. A part's metrics live in a prom-client
// Registry; the listener only sees this interface, so a process that runs its sessions in
// worker threads can plug in a source that asks every worker for its registry's values and
// merges them (prom-client's AggregatorRegistry, or the same merge over worker messages)
// without the listener or the metrics' owners changing.
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsSource {
  /** The Content-Type of the exposition text. */
  readonly contentType: string;
  /** The whole exposition text at this instant. */
  metrics(): Promise<string>;
}

export interface CreateMetricsRegistryOptions {
  /**
   * Also export the process's own metrics (event loop lag, heap, GC, CPU, file descriptors).
   * On by default; tests that build many parts in one process turn it off, because each call
   * starts its own event-loop delay monitor.
   */
  readonly processMetrics?: boolean;
}

export function createMetricsRegistry(options: CreateMetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/** A single registry as a source: the one-process case. */
export function metricsSourceOf(registry: Registry): MetricsSource {
  return { contentType: registry.contentType, metrics: () => registry.metrics() };
}
