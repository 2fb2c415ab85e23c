// engine.diag_listen when the engine runs in session workers: /metrics is the sum of the workers'
// engine registries (prom-client's aggregation), /readyz is ready while every worker is up.
import {
  aggregatedMetricsSource,
  createMetricsRegistry,
  type MetricsSource,
  startDiagServer,
} from '@gatehouse/common/metrics';
import { splitHostPort } from '@gatehouse/proxy';
import type { SessionWorkers } from './session-workers.js';

export async function startWorkersEngineDiag(listen: string, workers: SessionWorkers): Promise<() => Promise<void>> {
  // The supervisor's own process metrics are on the proxy's listener; this one starts empty.
  const local = createMetricsRegistry({ processMetrics: false });
  const metrics: MetricsSource = aggregatedMetricsSource(local, () => workers.engineMetrics());
  const { host, port } = splitHostPort(listen);
  const diag = await startDiagServer({
    host,
    port,
    ready: () => (workers.allReady() ? { ready: true } : { ready: false, reason: 'a session worker is not up' }),
    metrics,
  });
  return () => diag.close();
}
