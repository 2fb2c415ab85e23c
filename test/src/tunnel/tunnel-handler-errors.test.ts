// The tunnel's error boundary: a handler that throws while a frame is delivered (a stream's data
// listener, the onStream callback) ends that stream only. Without it the throw would escape the
// ws message handler or the in-memory link's microtask and end the process. Both transports.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import type { TunnelServer } from '@gatehouse/proxy';
import { waitFor } from '@gatehouse/testing';
import type { IncomingStream, TunnelConnection, TunnelStream } from '@gatehouse/tunnel';
import {
  createPki,
  digest,
  echo,
  header,
  roundTrip,
  startEngine,
  startInProcess,
  startProxy,
} from './tunnel-fixture.js';

interface Faults {
  /** Sessions whose engine-side data listener saw its first chunk. */
  readonly firstChunks: Set<string>;
}

/**
 * Echoes, except: db 'boom' gets a data listener that throws on its second chunk (the first is
 * taken, so the second arrives while the consumer waits and is delivered inside receive());
 * db 'boom-open' makes onStream itself throw before it answers.
 */
function faultyEngine(faults: Faults): (incoming: IncomingStream) => void {
  return (incoming) => {
    const { dbName } = incoming.header.route;
    if (dbName === 'boom-open') throw new Error('injected onStream failure');
    if (dbName !== 'boom') return echo(incoming);
    const stream = incoming.accept();
    stream.on('error', () => {});
    stream.on('data', () => {
      if (faults.firstChunks.has(incoming.header.sessionId)) throw new Error('injected stream handler failure');
      faults.firstChunks.add(incoming.header.sessionId);
    });
  };
}

function errorOf(stream: TunnelStream): Promise<Error> {
  return new Promise((resolve) => stream.once('error', resolve));
}

async function showOneStreamEnds(
  tunnel: TunnelServer,
  engineConnection: () => TunnelConnection | undefined,
  faults: Faults,
): Promise<void> {
  const connection = tunnel.registry.pickEngine('orders').engine.connection;
  // A session that is mid-flight when the other one fails.
  const steady = (await tunnel.openSession(header())).stream;
  steady.write(Buffer.from('before'));

  const boomHeader = header('orders', 'boom');
  const boom = (await tunnel.openSession(boomHeader)).stream;
  const boomFailed = errorOf(boom);
  boom.write(Buffer.from('first'));
  await waitFor('the engine to take the first chunk', () => faults.firstChunks.has(boomHeader.sessionId));
  boom.write(Buffer.from('second'));
  const err = (await boomFailed) as Error & { code?: string };
  assert.equal(err.code, 'GH_ERR_TUNNEL_STREAM_RESET');
  assert.equal(engineConnection()?.handlerErrors, 1);

  // onStream throwing before it answers: the opener hears a refusal instead of waiting.
  // (The proxy's router tries the other engines first, so it reports no engine, with the refusal as cause.)
  await assert.rejects(tunnel.openSession(header('orders', 'boom-open')), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'GH_ERR_NO_ENGINE');
    assert.equal((err.cause as { code?: string }).code, 'GH_ERR_TUNNEL_STREAM_REJECTED');
    return true;
  });
  assert.equal(engineConnection()?.handlerErrors, 2);

  // The tunnel and its other streams go on: same connection, the steady session still echoes,
  // and new sessions open.
  assert.equal(tunnel.registry.pickEngine('orders').engine.connection, connection);
  assert.equal(connection.closed, false);
  const rest = randomBytes(100_000);
  const echoed = await roundTrip(steady, rest);
  assert.equal(digest(echoed), digest(Buffer.concat([Buffer.from('before'), rest])));
  const fresh = randomBytes(50_000);
  assert.equal(digest(await roundTrip((await tunnel.openSession(header())).stream, fresh)), digest(fresh));
}

test('over the WebSocket a throwing stream handler resets its stream only', async (t: TestContext) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  const faults: Faults = { firstChunks: new Set() };
  const engine = await startEngine(t, pki, proxy.port, 'engine-a', faultyEngine(faults));
  await waitFor('the engine to register', () => proxy.tunnel.registry.size === 1);
  await showOneStreamEnds(proxy.tunnel, () => engine.client.connection, faults);
});

test('over the in-memory link a throwing stream handler resets its stream only', async (t: TestContext) => {
  const faults: Faults = { firstChunks: new Set() };
  const { tunnel, client } = await startInProcess(t, faultyEngine(faults));
  await showOneStreamEnds(tunnel, () => client.connection, faults);
});
