import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sumSamples } from '@gatehouse/common/metrics';
import { waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { loadPeerCredentials, type PeerCredentialsSupport } from '../src/front-door/unix-peer.js';
import { createCluster, issueUserFiles, startStubEngine, startTestProxy, stubDatabase } from './proxy-kit.js';

async function loginOverSocket(t: import('node:test').TestContext, support?: PeerCredentialsSupport) {
  const cluster = await createCluster(t);
  const dir = mkdtempSync(join(tmpdir(), 'gh-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'mysql.sock');
  const proxy = await startTestProxy(
    t,
    cluster,
    { mysql_listen: ['127.0.0.1:0', `unix:${socketPath}`] },
    support ? { peerCredentials: support } : {},
  );
  const engine = await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'app' });
  // TLS and the certificate over the unix socket, as over TCP.
  const conn = await mysql.createConnection({
    socketPath,
    user: 'app',
    ssl: { ca: cluster.hostCaPem, cert: files.cert, key: files.key },
  });
  t.after(() => conn.destroy());
  await waitFor('the engine to get the stream', () => engine.headers.length > 0);
  const header = engine.headers[0];
  assert.ok(header !== undefined);
  return { proxy, header, socketPath };
}

test('a client on the unix socket logs in with its certificate; the engine gets its uid, gid, pid and executable', async (t) => {
  const { proxy, header, socketPath } = await loginOverSocket(t);
  assert.deepEqual(proxy.mysqlSockets, [socketPath]);
  assert.equal(statSync(socketPath).mode & 0o777, 0o666, 'every local user may connect');
  const peer = header.extensions?.unixPeer as Record<string, unknown>;
  assert.equal(peer.socket, socketPath);
  // The client is this very process.
  assert.equal(peer.uid, process.getuid?.());
  assert.equal(peer.gid, process.getgid?.());
  assert.equal(peer.pid, process.pid);
  assert.equal(peer.exe, process.execPath);
  assert.equal(peer.unavailable, undefined);
  assert.equal(sumSamples(await proxy.metrics.registry.metrics(), 'gatehouse_proxy_unix_peer_credentials'), 1);
});

test('without the addon the unix listener still works: the credentials are absent and the engine is told why', async (t) => {
  const missing = loadPeerCredentials('./no-such-addon.node');
  assert.equal(missing.available, false);
  const { proxy, header, socketPath } = await loginOverSocket(t, missing);
  const peer = header.extensions?.unixPeer as Record<string, unknown>;
  assert.equal(peer.socket, socketPath);
  assert.equal(peer.uid, undefined);
  assert.match(String(peer.unavailable), /peer-credentials addon is not built .*build-essential/);
  assert.equal(sumSamples(await proxy.metrics.registry.metrics(), 'gatehouse_proxy_unix_peer_credentials'), 0);
});

test('a TCP client carries no unix peer', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const engine = await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'app' });
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port: proxy.mysqlAddress.port,
    user: 'app',
    ssl: { ca: cluster.hostCaPem, cert: files.cert, key: files.key },
  });
  t.after(() => conn.destroy());
  await waitFor('the engine to get the stream', () => engine.headers.length > 0);
  assert.equal(engine.headers[0]?.extensions?.unixPeer, undefined);
  assert.ok(engine.headers[0]?.extensions?.proxyId !== undefined);
});
