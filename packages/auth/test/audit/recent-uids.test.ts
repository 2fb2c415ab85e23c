import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentUids } from '../../src/audit/recent-uids.js';

test('recent uids remember at least the last `capacity` and forget what is older than twice that', () => {
  const capacity = 50;
  const uids = new RecentUids(capacity);
  for (let i = 0; i < 1000; i++) {
    uids.add(`u${i}`);
    for (let back = 0; back < capacity && back <= i; back++)
      assert.ok(uids.has(`u${i - back}`), `u${i - back} at ${i}`);
    if (i >= 2 * capacity) assert.equal(uids.has(`u${i - 2 * capacity}`), false);
    assert.ok(uids.size >= Math.min(i + 1, capacity) && uids.size <= 2 * capacity);
  }
  assert.equal(uids.has('never'), false);
});
