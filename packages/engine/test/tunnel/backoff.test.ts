import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeBackoff } from '../../src/tunnel/backoff.js';

test('backoff doubles from the initial delay up to the ceiling, with half of it jittered', () => {
  const options = { initial: 100, max: 1000 };
  assert.equal(
    computeBackoff(0, options, () => 0),
    50,
  );
  assert.equal(
    computeBackoff(0, options, () => 1),
    100,
  );
  assert.equal(
    computeBackoff(3, options, () => 1),
    800,
  );
  assert.equal(
    computeBackoff(4, options, () => 1),
    1000,
  );
  assert.equal(
    computeBackoff(60, options, () => 0),
    500,
  );
  const spread = new Set(Array.from({ length: 20 }, (_, i) => computeBackoff(2, options, () => i / 20)));
  assert.ok(spread.size > 10, 'jitter spreads reconnects');
});
