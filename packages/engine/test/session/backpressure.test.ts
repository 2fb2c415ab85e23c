import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawClient } from './raw-client.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

async function settled(read: () => number): Promise<number> {
  // Waits until the value stops moving: the same reading five polls in a row.
  let last = -1;
  let same = 0;
  for (let i = 0; i < 500 && same < 5; i++) {
    await new Promise((r) => setTimeout(r, 40));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

test('a client that stops reading stops the database socket: bytes relayed stay bounded', async (t) => {
  const f = await createFixture(t);
  const cert = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  const window = 64 * 1024;
  const s = await f.open({ cert, streamWindow: window });
  const c = new RawClient(s.stream, CLIENT_CAPS);
  s.stream.pause();
  const rows = 32 * 1024;
  const total = rows * 1024;
  const before = f.counters.bytesToClient;
  const reply = c.query(`SELECT REPEAT('x', 1024) FROM seq_1_to_${rows}`);
  const relayed = (await settled(() => f.counters.bytesToClient)) - before;
  // The tunnel window, the tunnel stream's buffers and one socket read at most; not the 32 MiB result.
  assert.ok(relayed > 0, 'some of the result was relayed');
  assert.ok(relayed < 4 * 1024 * 1024, `relayed ${relayed} bytes while the client was paused`);
  assert.ok(relayed < total / 8);
  assert.ok(s.stream.stats().queuedBytes <= window);
  s.stream.resume();
  const done = await reply;
  const last = done.outcomes.at(-1);
  assert.equal(last?.kind, 'resultset');
  assert.equal((last as { rowCount: number }).rowCount, rows);
  assert.ok(f.counters.bytesToClient - before > total);
});
