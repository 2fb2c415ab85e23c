import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineOfId, isEngineIdOf } from '../../src/tunnel/peer-identity.js';

test("an engine's session workers register under its certificate's CN with a #<index> suffix; nothing else passes", () => {
  assert.equal(isEngineIdOf('engine-a', 'engine-a'), true);
  assert.equal(isEngineIdOf('engine-a#0', 'engine-a'), true);
  assert.equal(isEngineIdOf('engine-a#17', 'engine-a'), true);
  // Another engine's name, a suffix that is not a worker index, or the CN of a longer name.
  for (const claimed of [
    'engine-b',
    'engine-a#',
    'engine-a#x',
    'engine-a#1#2',
    'engine-ab',
    'engine-a#1234',
    'engine',
  ]) {
    assert.equal(isEngineIdOf(claimed, 'engine-a'), false, claimed);
  }
});

test('engineOfId drops a worker suffix only', () => {
  assert.equal(engineOfId('engine-a#1'), 'engine-a');
  assert.equal(engineOfId('engine-a'), 'engine-a');
  assert.equal(engineOfId('engine#a'), 'engine#a');
  assert.equal(engineOfId('#1'), '#1');
});
