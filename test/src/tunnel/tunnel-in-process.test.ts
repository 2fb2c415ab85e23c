// The embedded default's tunnel: proxy and engine in one process, joined by an in-memory link
// instead of a wss connection. The same protocol runs over it, so streams, credit, control
// requests and reconnects must behave exactly as over the WebSocket.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import type { IncomingStream, TunnelStream } from '@gatehouse/tunnel';
import { createTunnelClient, type TunnelClientState } from '@gatehouse/engine';
import { TunnelServer } from '@gatehouse/proxy';
import { createPki, database, digest, echo, floodOrEcho, fastHeartbeat, header, log, roundTrip, waitFor } from './tunnel-fixture.js';

async function startInProcess(
  t: TestContext,
  onStream: (incoming: IncomingStream) => void,
  streamWindow?: number,
): Promise<{ tunnel: TunnelServer; states: TunnelClientState[] }> {
  const pki = await createPki(t);
  const windowOption = streamWindow === undefined ? {} : { streamWindow };
  const tunnel = new TunnelServer({ hostCaPems: [pki.ca.caPem], log, ...fastHeartbeat, ...windowOption });
  t.after(() => tunnel.close());
  const states: TunnelClientState[] = [];
  const client = createTunnelClient({
    url: 'wss://unused.invalid/v1/tunnel',
    getCredentials: () => Promise.reject(new Error('an in-process engine dials no socket')),
    connectInProcess: () => tunnel.connectInProcess('engine-local'),
    engineId: 'engine-local',
    version: '0.1.0-test',
    databases: [database('orders')],
    onStream,
    log,
    backoff: { initial: 20, max: 100 },
    ...fastHeartbeat,
    ...windowOption,
    onStateChange: (state) => states.push(state),
  });
  client.start();
  t.after(() => client.close());
  await waitFor(() => tunnel.registry.size === 1, 'the in-process engine to register');
  return { tunnel, states };
}

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
  await waitFor(() => entry.engine.connection.streamCount === 0, 'streams to be released');
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
  await waitFor(() => flood !== undefined && flood.stats().sendCredit === 0, 'the flood stream to exhaust its credit');
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
  await waitFor(() => accepted !== undefined, 'the engine to accept the stream');

  engine.connection.close();
  const err = await failed;
  assert.equal((err as { code?: string }).code, 'GH_ERR_TUNNEL_CLOSED');
  await waitFor(() => accepted!.destroyed, 'the engine side of the stream to be destroyed');
  await waitFor(() => states.lastIndexOf('connected') > states.indexOf('disconnected'), 'the engine to reconnect');
  await waitFor(() => tunnel.registry.size === 1, 'the engine to register again');
  assert.notEqual(tunnel.registry.pickEngine('orders').engine.connection, engine.connection);
});
