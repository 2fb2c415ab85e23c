import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import { sumSamples } from '@gatehouse/common/metrics';
import { serializeProxyHeaderV1, serializeProxyHeaderV2 } from '@gatehouse/common/proxy-protocol';
import {
  Capability,
  parseErrPacket,
  parseHandshakeV10,
  serializePacket,
  serializeSslRequest,
} from '@gatehouse/mysql-protocol';
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

const SSL_CAPS = Capability.Protocol41 | Capability.SecureConnection | Capability.PluginAuth | Capability.Ssl;

function readErr(payload: Buffer) {
  const err = parseErrPacket(payload, 0);
  assert.equal(err.kind, 'err');
  return err as { errno: number; message: string };
}

test('a handshake that does not finish within handshake_timeout is closed', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster, { limits: { handshake_timeout: '200ms' } });
  const raw = await connectRaw(t, proxy.mysqlAddress.port);
  parseHandshakeV10((await raw.readPacket()).payload);
  await raw.closed;
  const scrape = await fetch(`http://${proxy.diagAddress}/metrics`).then((r) => r.text());
  assert.equal(sumSamples(scrape, 'gatehouse_proxy_handshake_failures_total', { reason: 'timeout' }), 1);
});

test('max_connections and max_connections_per_ip answer ERR 1040 naming the limit', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster, { limits: { max_connections: 2, max_connections_per_ip: 1 } });
  const port = proxy.mysqlAddress.port;
  const first = await connectRaw(t, port);
  parseHandshakeV10((await first.readPacket()).payload);
  const second = await connectRaw(t, port);
  const perIp = readErr((await second.readPacket()).payload);
  assert.equal(perIp.errno, 1040);
  assert.match(perIp.message, /Too many connections: proxy\.limits\.max_connections_per_ip \(1\)/);
  await second.closed;

  // The total limit, checked with mysql2 as a real client would see it.
  proxy.limits.maxPerIp = 10;
  const third = await connectRaw(t, port);
  parseHandshakeV10((await third.readPacket()).payload);
  await assert.rejects(
    mysql.createConnection({ host: '127.0.0.1', port, user: 'x' }),
    (err: { errno?: number; message: string }) => {
      assert.equal(err.errno, 1040);
      assert.match(err.message, /proxy\.limits\.max_connections \(2\)/);
      return true;
    },
  );
  const scrape = await proxy.metrics.registry.metrics();
  assert.equal(sumSamples(scrape, 'gatehouse_proxy_handshake_failures_total', { reason: 'too_many_connections' }), 2);
  assert.equal(sumSamples(scrape, 'gatehouse_proxy_denials_total', { reason: 'limit' }), 2);
});

test('a PROXY v1 or v2 header from a trusted network replaces the client address the engine sees', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster, { proxy_protocol: { trusted_networks: ['127.0.0.0/8'] } });
  const engine = await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'app' });
  const port = proxy.mysqlAddress.port;
  const headers = [
    serializeProxyHeaderV1('203.0.113.7', 40001, '10.0.0.1', 3036),
    serializeProxyHeaderV2('2001:db8::9', 40002, '2001:db8::1', 3036),
  ];
  for (const header of headers) {
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'app',
      ssl: { ca: cluster.hostCaPem, cert: files.cert, key: files.key },
      // mysql2 writes its first bytes after the greeting; the balancer's header goes before them.
      stream: (() => {
        const socket = netConnect(port, '127.0.0.1');
        socket.once('connect', () => socket.write(header));
        return socket;
      })(),
    });
    conn.destroy();
  }
  assert.deepEqual(
    engine.headers.map((h) => h.clientAddress),
    [
      { host: '203.0.113.7', port: 40001 },
      { host: '2001:db8::9', port: 40002 },
    ],
  );
});

test('a PROXY header from an untrusted peer gets ERR 1130 and the connection is closed', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const raw = await connectRaw(t, proxy.mysqlAddress.port);
  parseHandshakeV10((await raw.readPacket()).payload);
  raw.socket.write(
    Buffer.concat([
      serializeProxyHeaderV1('198.51.100.1', 1234, '127.0.0.1', 3036),
      serializePacket(serializeSslRequest({ capabilities: SSL_CAPS, maxPacketSize: 1 << 24, characterSet: 45 }), 1),
    ]),
  );
  const packet = await raw.readPacket();
  const err = readErr(packet.payload);
  assert.equal(err.errno, 1130);
  assert.match(err.message, /Proxy header is not accepted from 127\.0\.0\.1/);
  assert.equal(packet.sequenceId, 2);
  await raw.closed;
});

test('close({ graceMs }) stops accepting, lets sessions finish within the grace, then closes the rest', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'app' });
  const port = proxy.mysqlAddress.port;
  const connect = (stream?: Socket) =>
    mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'app',
      ssl: { ca: cluster.hostCaPem, cert: files.cert, key: files.key },
      ...(stream !== undefined ? { stream } : {}),
    });
  const leaving = await connect();
  const stayingSocket = netConnect(port, '127.0.0.1');
  const stayingClosed = new Promise<void>((resolve) => stayingSocket.once('close', () => resolve()));
  const staying = await connect(stayingSocket);
  t.after(() => staying.destroy());
  await waitFor(
    'two sessions relaying',
    () => [...proxy.connections()].filter((c) => c.phase === 'relay').length === 2,
  );

  const endGrace = new AbortController();
  const closing = proxy.close({ graceMs: 60_000, signal: endGrace.signal });
  await assert.rejects(connect(), /ECONNREFUSED/);
  // One session ends by itself during the grace period; the other is left running.
  leaving.destroy();
  await waitFor('the leaving session to end', () => [...proxy.connections()].length === 1);
  assert.equal(stayingSocket.destroyed, false, 'the drain does not close sessions before the grace ends');
  // A second SIGTERM ends the grace period: the remaining session is closed.
  endGrace.abort();
  await closing;
  await stayingClosed;
  assert.equal([...proxy.connections()].length, 0);
});
