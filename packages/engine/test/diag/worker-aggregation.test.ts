import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  aggregatedMetricsSource,
  createMetricsRegistry,
  diagAddressOf,
  type MetricsJson,
  startDiagServer,
  sumSamples,
} from '@gatehouse/common/metrics';

async function startWorker(queries: number, errors: number): Promise<Worker> {
  const worker = new Worker(new URL('./metrics-worker.js', import.meta.url), { workerData: { queries, errors } });
  const [first] = await once(worker, 'message');
  assert.equal(first, 'ready');
  return worker;
}

async function ask(worker: Worker): Promise<MetricsJson> {
  worker.postMessage('scrape');
  const [json] = await once(worker, 'message');
  return json as MetricsJson;
}

test('with sessions in 2 workers, one scrape of the diagnostics listener returns their sum', async (t) => {
  const workers = [await startWorker(3, 1), await startWorker(5, 2)];
  t.after(() => Promise.all(workers.map((w) => w.terminate())));
  // The main thread keeps the process metrics; the workers only their own.
  const local = createMetricsRegistry();
  const diag = await startDiagServer({
    host: '127.0.0.1',
    port: 0,
    ready: () => ({ ready: true }),
    metrics: aggregatedMetricsSource(local, () => Promise.all(workers.map(ask))),
  });
  t.after(() => diag.close());

  const started = process.hrtime.bigint();
  const text = await fetch(`http://${diagAddressOf(diag)}/metrics`).then((r) => r.text());
  t.diagnostic(`aggregated scrape of 2 workers: ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`);
  const q = { db: 'app', kind: 'query' };
  assert.equal(sumSamples(text, 'gatehouse_engine_command_seconds_count', q), 8);
  assert.equal(sumSamples(text, 'gatehouse_engine_command_seconds_bucket', { ...q, le: '0.001' }), 8);
  assert.equal(sumSamples(text, 'gatehouse_engine_command_seconds_bucket', { ...q, le: '0.0005' }), 0);
  assert.ok(Math.abs(sumSamples(text, 'gatehouse_engine_command_seconds_sum', q) - 0.008) < 1e-9);
  assert.equal(sumSamples(text, 'gatehouse_engine_err_packets_total', { db: 'app', class: '42' }), 3);
  assert.equal(sumSamples(text, 'gatehouse_engine_sessions', { db: 'app', engine: 'e1' }), 2);
  assert.ok(sumSamples(text, 'process_resident_memory_bytes') > 0);
  // One family each, not one per worker.
  assert.equal(text.match(/^# TYPE gatehouse_engine_command_seconds histogram$/gm)?.length, 1);
});
