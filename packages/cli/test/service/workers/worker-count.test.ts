import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { isGatehouseError, parseConfig } from '@gatehouse/common';
import { sessionWorkerCount, sessionWorkerPlan } from '../../../src/service/workers/worker-count.js';

const count = (raw: Record<string, unknown>): number => sessionWorkerCount(parseConfig({ version: 'v1', ...raw }));

test('the default is one process with no session workers', () => {
  assert.equal(count({}), 1);
});

test('proxy.workers or engine.workers sets the count in the one-process shape; auto is the cores available', () => {
  assert.equal(count({ proxy: { workers: 2 } }), 2);
  assert.equal(count({ engine: { workers: 3 } }), 3);
  assert.equal(count({ proxy: { workers: 2 }, engine: { workers: 2 } }), 2);
  assert.equal(count({ proxy: { workers: 'auto' } }), availableParallelism());
});

test("in the split shape, proxy.workers sets the proxy process's workers and engine.workers the engine process's", () => {
  const plan = (raw: Record<string, unknown>) => sessionWorkerPlan(parseConfig({ version: 'v1', ...raw }));
  assert.deepEqual(plan({ proxy: { workers: 2 }, engine: { enabled: false } }), { shape: 'proxy', count: 2 });
  // The other part's setting does not apply where that part does not run.
  assert.deepEqual(plan({ proxy: { workers: 1 }, engine: { enabled: false, workers: 4 } }), {
    shape: 'proxy',
    count: 1,
  });
  assert.deepEqual(plan({ auth: { enabled: false }, proxy: { enabled: false }, engine: { workers: 2 } }), {
    shape: 'engine',
    count: 2,
  });
  assert.deepEqual(plan({ proxy: { workers: 2 } }), { shape: 'one-process', count: 2 });
});

test('two different counts above 1, or engine workers beside auth without a proxy, are refused with GH_ERR_CONFIG', () => {
  const refused = (raw: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => count(raw),
      (err: unknown) => isGatehouseError(err, 'GH_ERR_CONFIG') && pattern.test((err as Error).message),
    );
  refused({ proxy: { workers: 2 }, engine: { workers: 3 } }, /differ/);
  refused({ proxy: { enabled: false }, engine: { workers: 2 } }, /engine\.workers above 1 needs the engine alone/);
});

test('the schema takes a positive count or auto, nothing else', () => {
  for (const workers of [0, -1, 1.5, 'all']) {
    assert.throws(() => parseConfig({ version: 'v1', proxy: { workers } }), /proxy\.workers/);
  }
});
