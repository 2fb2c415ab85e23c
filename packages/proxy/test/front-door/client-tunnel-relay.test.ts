import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { TunnelStream } from '@gatehouse/tunnel';
import { ClientTunnelRelay } from '../../src/front-door/client-tunnel-relay.js';

/** Two connected ends: what one writes, the other reads; one's end is the other's 'end'. */
function pipePair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

/** Everything `end` receives, as text. */
function collect(end: Duplex): { text: () => string; ended: Promise<unknown> } {
  let text = '';
  end.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { text: () => text, ended: once(end, 'end') };
}

/** A client relayed to engine A, with engine B ready to take it over; `leftover` goes to A first. */
function migrationRig(leftover: Buffer) {
  const [app, clientSide] = pipePair();
  const [streamA, engineA] = pipePair();
  const [streamB, engineB] = pipePair();
  return {
    app,
    clientSide,
    streamA,
    streamB,
    engineA,
    engineB,
    fromA: collect(engineA),
    fromB: collect(engineB),
    toApp: collect(app),
    relay: new ClientTunnelRelay(clientSide, streamA as unknown as TunnelStream, leftover),
  };
}

test('a migration pauses the client, counts what went to the old engine, and switches to the new one after the old one’s last bytes', async () => {
  const { app, streamB, engineA, engineB, fromA, fromB, toApp, relay } = migrationRig(Buffer.from('L'));

  app.write('q1');
  await waitFor('q1 at engine A', async () => (fromA.text() === 'Lq1' ? true : undefined));
  engineA.write('r1');
  await waitFor('r1 at the client', async () => (toApp.text() === 'r1' ? true : undefined));

  assert.equal(relay.pause(), 3, 'the leftover and q1 were sent to A');
  app.write('q2');
  relay.switchTo(streamB as unknown as TunnelStream);
  await waitFor('q2 at engine B', async () => (fromB.text() === 'q2' ? true : undefined));
  engineB.write('r2');
  // A's last reply still reaches the client first, then A's stream ends and B's bytes follow.
  engineA.write('r1-tail');
  await fromA.ended;
  engineA.end();
  await waitFor('the tail, then r2', async () => (toApp.text() === 'r1r1-tailr2' ? true : undefined));
  assert.equal(fromA.text(), 'Lq1', 'nothing the client sent after the pause went to A');

  app.end();
  await fromB.ended;
  engineB.end();
  assert.deepEqual(await relay.done, { error: undefined });
});

test('resume after a pause sends what the client sent meanwhile to the same engine', async () => {
  const [app, clientSide] = pipePair();
  const [streamA, engineA] = pipePair();
  const fromA = collect(engineA);
  const relay = new ClientTunnelRelay(clientSide, streamA as unknown as TunnelStream, Buffer.alloc(0));
  app.write('a');
  await waitFor('a at engine A', async () => (fromA.text() === 'a' ? true : undefined));
  assert.equal(relay.pause(), 1);
  app.write('b');
  relay.resume();
  await waitFor('b at engine A', async () => (fromA.text() === 'ab' ? true : undefined));
  assert.equal(relay.pause(), 2, 'the count goes on across a resume');
  relay.resume();
  app.end();
  await fromA.ended;
  engineA.end();
  assert.deepEqual(await relay.done, { error: undefined });
});

test('bytes the write coalescer still holds when a migration pauses and switches are written, not dropped', async () => {
  const { app, clientSide, streamA, streamB, engineA, engineB, fromA, fromB, toApp, relay } = migrationRig(
    Buffer.alloc(0),
  );

  // Listeners added after the relay's run after it in the same turn: the chunk is in the
  // coalescer, which writes it only at the end of the turn.
  let counted = -1;
  clientSide.once('data', () => {
    counted = relay.pause();
  });
  app.write('q1');
  await waitFor('q1 at engine A', async () => (fromA.text() === 'q1' ? true : undefined));
  assert.equal(counted, 2, 'the pause counted q1 as sent to A');

  streamA.once('data', () => relay.switchTo(streamB as unknown as TunnelStream));
  engineA.write('r1');
  await fromA.ended;
  engineA.end();
  await waitFor('r1 at the client', async () => (toApp.text() === 'r1' ? true : undefined));

  app.write('q2');
  await waitFor('q2 at engine B', async () => (fromB.text() === 'q2' ? true : undefined));
  app.end();
  await fromB.ended;
  engineB.end();
  assert.deepEqual(await relay.done, { error: undefined });
});
