// The embedded default's tunnel: proxy and engine in one process, joined by an in-memory link
// instead of a wss connection. The same protocol runs over it, so streams, credit, control
// requests and reconnects must behave exactly as over the WebSocket.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { TunnelStream } from '@gatehouse/tunnel';
import { digest, echo, floodOrEcho, header, roundTrip, startInProcess } from './tunnel-fixture.js';

test('an in-process engine registers without a socket and its streams echo bytes intact', async (t) => {
  const { tunnel } = await startInProcess(t, echo);
  const entry = tunnel.registry.pickEngine('orders');
  assert.equal(entry.engine.engineId, 'engine-local');
  assert.equal(entry.engine.remoteAddress, 'in-process');

  const payloads = Array.from({ length: 24 }, (_, i) => randomBytes(1 + i * 21_001));
  const results = await Promise.all(
    payloads.map(async (payload) => roundTrip((await tunnel.openSession(header())).stream, payload)),
  );
  assert.deepEqual(results.map(digest), payloads.map(digest));
  await waitFor('streams to be released', () => entry.engine.connection.streamCount === 0);
});

test('over the in-process link a stream whose reader stops is held to one window', async (t) => {
  const window = 64 * 1024;
  const flooded = 8 * 1024 * 1024;
  let flood: TunnelStream | undefined;
  const { tunnel } = await startInProcess(
    t,
    floodOrEcho(flooded, (stream) => {
      flood = stream;
    }),
    window,
  );
  const paused = await tunnel.openSession(header('orders', 'flood'));
  await waitFor('the flood stream to exhaust its credit', () => flood !== undefined && flood.stats().sendCredit === 0);
  // Another stream still flows while the first one's reader is stopped.
  const payload = randomBytes(512 * 1024);
  assert.equal(digest(await roundTrip((await tunnel.openSession(header())).stream, payload)), digest(payload));
  assert.ok(paused.stream.stats().queuedBytes <= window, `queued ${paused.stream.stats().queuedBytes} > ${window}`);
  assert.ok(flood!.stats().bytesSent < flooded, 'the sender stopped at the window');

  paused.stream.end();
  let received = 0;
  for await (const chunk of paused.stream) received += (chunk as Buffer).length;
  assert.equal(received, flooded);
  assert.ok(paused.stream.stats().peakQueuedBytes <= window);
});

test('when the proxy drops the in-process tunnel, open streams fail and the engine reconnects', async (t) => {
  let accepted: TunnelStream | undefined;
  const { tunnel, states } = await startInProcess(t, (incoming) => {
    accepted = incoming.accept();
    accepted.on('error', () => {});
  });
  const { stream, engine } = await tunnel.openSession(header());
  const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
  await waitFor('the engine to accept the stream', () => accepted !== undefined);

  engine.connection.close();
  const err = await failed;
  assert.equal((err as { code?: string }).code, 'GH_ERR_TUNNEL_CLOSED');
  await waitFor('the engine side of the stream to be destroyed', () => accepted!.destroyed);
  await waitFor('the engine to reconnect', () => states.lastIndexOf('connected') > states.indexOf('disconnected'));
  await waitFor('the engine to register again', () => tunnel.registry.size === 1);
  assert.notEqual(tunnel.registry.pickEngine('orders').engine.connection, engine.connection);
});
