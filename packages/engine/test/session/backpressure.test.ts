import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { RawClient } from './raw-client.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

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
  // The stall, as the streams report it: the paused reader's buffer is full, so it returns no
  // credit; the engine has spent all of its credit; and the relay's write has been refused, so
  // it waits for a 'drain' that cannot come. From here nothing moves until the reader resumes.
  const engineSide = f.engineStreams.at(-1)!;
  await waitFor(
    'the relay to stall on the paused reader',
    () =>
      s.stream.readableLength >= s.stream.readableHighWaterMark &&
      engineSide.stats().sendCredit === 0 &&
      engineSide.writableNeedDrain,
  );
  const relayed = f.counters.bytesToClient - before;
  // The tunnel window, the tunnel stream's buffers and one socket read at most; not the 32 MiB result.
  assert.ok(relayed > 0, 'some of the result was relayed');
  assert.ok(relayed < 4 * 1024 * 1024, `relayed ${relayed} bytes while the client was paused`);
  assert.ok(relayed < total / 8);
  assert.ok(s.stream.stats().queuedBytes <= window);
  // And it stays stalled: a whole query on a second session (many turns of the event loop, with
  // the database free to keep sending) moves not one more byte into the stalled session.
  const held = engineSide.stats().bytesSent + engineSide.writableLength;
  const other = await f.open({ cert });
  other.stream.resume();
  assert.equal((await new RawClient(other.stream, CLIENT_CAPS).query('SELECT 1')).outcomes.at(-1)?.kind, 'resultset');
  assert.equal(engineSide.stats().bytesSent + engineSide.writableLength, held);
  s.stream.resume();
  const done = await reply;
  const last = done.outcomes.at(-1);
  assert.equal(last?.kind, 'resultset');
  assert.equal((last as { rowCount: number }).rowCount, rows);
  assert.ok(f.counters.bytesToClient - before > total);
});
