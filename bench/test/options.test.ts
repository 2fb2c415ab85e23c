import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchUsageError, DEFAULT_TARGETS, MEASURE_NAMES, parseBenchOptions, TARGET_NAMES } from '../src/options.js';

test('parseBenchOptions defaults to every target and measurement at 1 and 16 threads, text protocol', () => {
  const o = parseBenchOptions([], '/r.md');
  assert.deepEqual(o.targets, [...DEFAULT_TARGETS]);
  // The split shape with workers runs only when named (it adds two processes of three each).
  assert.equal(o.targets.includes('gatehouse-2proc-2w'), false);
  assert.equal(TARGET_NAMES.includes('gatehouse-2proc-2w'), true);
  // Both floors run by default, beside each other in the table.
  assert.deepEqual(o.targets.slice(0, 3), ['direct', 'tcp-relay', 'tls-relay']);
  assert.deepEqual(o.only, [...MEASURE_NAMES]);
  assert.deepEqual(o.threads, [1, 16]);
  assert.equal(o.psMode, 'disable');
  assert.equal(o.short, false);
  assert.equal(o.resultsFile, '/r.md');
});

test('parseBenchOptions takes subsets, thread counts, short mode and no results file', () => {
  const o = parseBenchOptions(
    [
      '--targets',
      'direct,tcp-relay',
      '--only',
      'bulk-read,sysbench',
      '--threads',
      '4',
      '--short',
      '--results',
      'none',
      '--ps-mode',
      'auto',
    ],
    '/r.md',
  );
  assert.deepEqual(o.targets, ['direct', 'tcp-relay']);
  // Measurements run in their fixed order, whatever order --only names them in.
  assert.deepEqual(o.only, ['sysbench', 'bulk-read']);
  assert.deepEqual(o.threads, [4]);
  assert.equal(o.short, true);
  assert.equal(o.resultsFile, undefined);
  assert.equal(o.psMode, 'auto');
});

test('parseBenchOptions rejects unknown names, bad thread counts and stray arguments', () => {
  for (const argv of [
    ['--targets', 'direct,proxy'],
    ['--only', ''],
    ['--threads', '0'],
    ['--threads', '1,x'],
    ['--ps-mode', 'always'],
    ['--frobnicate'],
    ['extra'],
  ]) {
    assert.throws(() => parseBenchOptions(argv, '/r.md'), BenchUsageError, argv.join(' '));
  }
});
