export { aggregatedMetricsSource, type MetricsJson } from './aggregated-source.js';
export { CellHistogram, type CellHistogramOptions, type HistogramCell } from './cell-histogram.js';
export { certExpiryGauge } from './cert-expiry.js';
export { type DiagServerOptions, diagAddressOf, startDiagServer } from './diag-server.js';
export { errClassOf } from './err-class.js';
export { familiesOf, parseExposition, type Sample, sumSamples } from './exposition.js';
export { LATENCY_BUCKETS, secondsSince } from './latency-buckets.js';
export {
  type CreateMetricsRegistryOptions,
  createMetricsRegistry,
  type MetricsSource,
  metricsSourceOf,
} from './metrics-source.js';
