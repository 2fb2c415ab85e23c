// A worker thread standing in for a session worker (cost-per-query issue): it records commands
// into its own registry and answers 'scrape' with the registry's values as JSON.
import { parentPort, workerData } from 'node:worker_threads';
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import { EngineMetrics } from '../../src/diag/metrics.js';
import { SessionObserver } from '../../src/session/session-observer.js';

const { queries, errors } = workerData as { queries: number; errors: number };
const registry = createMetricsRegistry({ processMetrics: false });
const metrics = new EngineMetrics({ registry, engineId: 'e1', databases: () => [], tunnelConnected: () => undefined });
const observer = new SessionObserver(metrics.childrenFor('app'));
for (let i = 0; i < queries; i++) {
  observer.onForwarded('query', 0);
  observer.onOutcome(
    i < errors
      ? { kind: 'err', command: { command: 3 }, done: true, endOffset: 0, errno: 1146, sqlState: '42S02', message: 'x' }
      : {
          kind: 'ok',
          command: { command: 3 },
          done: true,
          endOffset: 0,
          affectedRows: 0,
          lastInsertId: 0,
          statusFlags: 0,
          warnings: 0,
          info: '',
        },
    // 1 ms each: every sample lands in the 0.001 bucket.
    1,
  );
}
metrics.sessionOpened('app');
parentPort?.on('message', async (message: string) => {
  if (message === 'scrape') parentPort?.postMessage(await registry.getMetricsAsJSON());
});
parentPort?.postMessage('ready');
