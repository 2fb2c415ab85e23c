import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { TunnelStream } from '@gatehouse/tunnel';
import { createPki, digest, echo, floodOrEcho, header, roundTrip, startEngine, startProxy } from './tunnel-fixture.js';

test('many concurrent streams over one tunnel echo their bytes intact', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  await startEngine(t, pki, proxy.port, 'engine-a', echo);
  await waitFor('the engine to register', () => proxy.tunnel.registry.size === 1);

  const payloads = Array.from({ length: 40 }, (_, i) => randomBytes(1024 + i * 9973));
  const results = await Promise.all(
    payloads.map(async (payload) => {
      const { stream, engine } = await proxy.tunnel.openSession(header());
      assert.equal(engine.engineId, 'engine-a');
      return roundTrip(stream, payload);
    }),
  );
  assert.deepEqual(results.map(digest), payloads.map(digest));
  await waitFor(
    'streams to be released',
    () => proxy.tunnel.registry.pickEngine('orders').engine.connection.streamCount === 0,
  );
});

test('a stream whose reader stops does not stall the others, and holds at most one window', async (t) => {
  const pki = await createPki(t);
  const window = 64 * 1024;
  const proxy = await startProxy(t, pki, 0, { streamWindow: window });
  let flood: TunnelStream | undefined;
  const flooded = 16 * 1024 * 1024;
  await startEngine(
    t,
    pki,
    proxy.port,
    'engine-a',
    floodOrEcho(flooded, (stream) => {
      flood = stream;
    }),
    { streamWindow: window },
  );
  await waitFor('the engine to register', () => proxy.tunnel.registry.size === 1);

  const paused = await proxy.tunnel.openSession(header('orders', 'flood'));
  // Nobody reads `paused` yet. Wait until the engine has used up the window it was given.
  await waitFor('the flood stream to exhaust its credit', () => flood !== undefined && flood.stats().sendCredit === 0);

  const payloads = Array.from({ length: 8 }, () => randomBytes(512 * 1024));
  const echoed = await Promise.all(
    payloads.map(async (p) => roundTrip((await proxy.tunnel.openSession(header())).stream, p)),
  );
  assert.deepEqual(echoed.map(digest), payloads.map(digest));

  // The paused stream is still stuck at one window while the others finished.
  const stats = paused.stream.stats();
  assert.ok(stats.queuedBytes <= window, `queued ${stats.queuedBytes} > window ${window}`);
  assert.ok(flood!.stats().unacknowledgedBytes <= window, 'engine in flight bounded by the proxy window');
  assert.ok(flood!.stats().bytesSent < flooded);

  paused.stream.end();
  let received = 0;
  for await (const chunk of paused.stream) received += (chunk as Buffer).length;
  assert.equal(received, flooded);
  assert.ok(paused.stream.stats().peakQueuedBytes <= window);
});

test('200 MiB through one stream to a slow reader never buffers more than the windows allow', async (t) => {
  const pki = await createPki(t);
  const window = 256 * 1024;
  const proxy = await startProxy(t, pki, 0, { streamWindow: window });
  const total = 200 * 1024 * 1024;
  let engineStream: TunnelStream | undefined;
  let peakEngineInFlight = 0;
  const engine = await startEngine(
    t,
    pki,
    proxy.port,
    'engine-a',
    (incoming) => {
      const stream = incoming.accept();
      engineStream = stream;
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += 64 * 1024;
          const ok = stream.write(Buffer.allocUnsafe(64 * 1024).fill(sent & 0xff));
          peakEngineInFlight = Math.max(peakEngineInFlight, stream.stats().unacknowledgedBytes);
          if (!ok) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
    },
    { streamWindow: window },
  );
  await waitFor('the engine to register', () => proxy.tunnel.registry.size === 1);
  const { stream } = await proxy.tunnel.openSession(header());
  stream.end();

  let received = 0;
  let sinceBreak = 0;
  for await (const chunk of stream) {
    received += (chunk as Buffer).length;
    sinceBreak += (chunk as Buffer).length;
    // A slow client: stop reading for a moment after every 8 MiB.
    if (sinceBreak >= 8 * 1024 * 1024) {
      sinceBreak = 0;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  assert.equal(received, total);
  const engineConnection = engine.client.connection!;
  assert.ok(stream.stats().peakQueuedBytes <= window, `proxy queued ${stream.stats().peakQueuedBytes}`);
  assert.ok(peakEngineInFlight <= window, `engine in flight ${peakEngineInFlight}`);
  assert.ok(engineStream!.writableLength <= 64 * 1024, 'the engine stream buffered one chunk at most');
  // The socket queue holds at most the high-water mark plus one batch.
  assert.ok(
    engineConnection.peakBufferedBytes <= 1024 * 1024 + 256 * 1024 + 64 * 1024,
    `socket ${engineConnection.peakBufferedBytes}`,
  );
});
