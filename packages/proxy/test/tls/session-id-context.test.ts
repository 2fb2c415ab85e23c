import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeSessionIdContext } from '../../src/tls/session-id-context.js';

test('the session id context is 32 bytes, the same for the same CA set in any order', () => {
  const a = computeSessionIdContext(['aa', 'bb']);
  assert.equal(Buffer.byteLength(a), 32);
  assert.equal(a, computeSessionIdContext(['bb', 'aa']));
});

test('another CA set (another cluster, or after a rotation) is another context', () => {
  const before = computeSessionIdContext(['aa']);
  assert.notEqual(before, computeSessionIdContext(['aa', 'cc']));
  assert.notEqual(before, computeSessionIdContext(['cc']));
  // Not a plain concatenation: the fingerprints are delimited.
  assert.notEqual(computeSessionIdContext(['ab', 'c']), computeSessionIdContext(['a', 'bc']));
});
