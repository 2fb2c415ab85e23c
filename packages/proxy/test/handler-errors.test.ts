// The front door's error boundary: a listener on one client's socket that throws closes that
// connection only. The throwing listener is attached from outside, through the 'net.server.socket'
// diagnostics channel, so no test hook sits in the proxy; without the boundary the throw would
// reach 'uncaughtException' and end the test process.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import {
  connectRaw,
  createCluster,
  issueUserFiles,
  startStubEngine,
  startTestProxy,
  stubDatabase,
} from './proxy-kit.js';

test('a socket listener that throws closes its own client connection; the sessions beside it go on', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'app' });
  const port = proxy.mysqlAddress.port;
  const accepted = new Map<number, Socket>();
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: Socket };
    if (socket.localPort === port && socket.remotePort !== undefined) accepted.set(socket.remotePort, socket);
  };
  subscribe('net.server.socket', onSocket);
  t.after(() => unsubscribe('net.server.socket', onSocket));
  const connect = () =>
    mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'app',
      ssl: { ca: cluster.hostCaPem, cert: files.cert, key: files.key },
    });

  const staying = await connect();
  t.after(() => staying.destroy());
  await waitFor('a session relaying', () => [...proxy.connections()].some((c) => c.phase === 'relay'));

  const victim = await connectRaw(t, port);
  const proxySide = await waitFor('the proxy to accept the victim', () => accepted.get(victim.socket.localPort!));
  proxySide.on('data', () => {
    throw new Error('injected front door listener failure');
  });
  victim.socket.write(Buffer.from('any first bytes'));
  await victim.closed;
  assert.equal(proxy.metrics.handlerErrors.get('front_door'), 1);

  // The relaying session is still there, and a new client still gets all the way in.
  await waitFor('only the staying session left', () => [...proxy.connections()].length === 1);
  assert.equal([...proxy.connections()][0]?.phase, 'relay');
  const next = await connect();
  await waitFor(
    'two sessions relaying',
    () => [...proxy.connections()].filter((c) => c.phase === 'relay').length === 2,
  );
  next.destroy();
  assert.equal(proxy.metrics.handlerErrors.get('front_door'), 1);
});
