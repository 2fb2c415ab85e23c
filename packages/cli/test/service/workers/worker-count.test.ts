import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { isGatehouseError, parseConfig } from '@gatehouse/common';
import { sessionWorkerCount } from '../../../src/service/workers/worker-count.js';

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

test('two different counts above 1, or workers in the split shape, are refused with GH_ERR_CONFIG', () => {
  const refused = (raw: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => count(raw),
      (err: unknown) => isGatehouseError(err, 'GH_ERR_CONFIG') && pattern.test((err as Error).message),
    );
  refused({ proxy: { workers: 2 }, engine: { workers: 3 } }, /differ/);
  refused(
    { proxy: { workers: 2 }, engine: { enabled: false } },
    /proxy\.workers above 1 needs the proxy and the engine/,
  );
  refused({ auth: { enabled: false }, proxy: { enabled: false }, engine: { workers: 2 } }, /engine\.workers above 1/);
});

test('the schema takes a positive count or auto, nothing else', () => {
  for (const workers of [0, -1, 1.5, 'all']) {
    assert.throws(() => parseConfig({ version: 'v1', proxy: { workers } }), /proxy\.workers/);
  }
});
