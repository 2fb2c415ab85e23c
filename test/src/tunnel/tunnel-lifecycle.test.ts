import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { isGatehouseError } from '@gatehouse/common';
import { NoEngineError } from '@gatehouse/proxy';
import { createTestCa, waitFor } from '@gatehouse/testing';
import { type IncomingStream, TunnelError } from '@gatehouse/tunnel';
import { WebSocket } from 'ws';
import { createPki, database, echo, header, startEngine, startProxy } from './tunnel-fixture.js';

function get(port: number, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('healthz and readyz answer over HTTPS', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  assert.equal((await get(proxy.port, '/healthz', pki.ca.caPem)).status, 200);
  const ready = await get(proxy.port, '/readyz', pki.ca.caPem);
  assert.equal(ready.status, 200);
  assert.deepEqual(JSON.parse(ready.body), { status: 'ready', engines: 0 });
});

test('an engine without a cert, or with a cert from another CA, is refused', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);

  const status = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${proxy.port}/v1/tunnel`, { ca: pki.ca.caPem });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('tunnel opened without a client cert')));
    ws.on('error', () => {});
  });
  assert.equal(status, 403);

  const rogueDir = await mkdtemp(join(tmpdir(), 'gatehouse-rogue-'));
  t.after(() => rm(rogueDir, { recursive: true, force: true }));
  const rogueCa = await createTestCa(rogueDir, 'Rogue CA');
  const rogue = await rogueCa.issue({ name: 'engine-r', subject: '/CN=engine-r', usage: 'client' });
  const creds = { cert: await readFile(rogue.certFile, 'utf8'), key: await readFile(rogue.keyFile, 'utf8') };
  const engine = await startEngine(t, pki, proxy.port, 'engine-r', echo, {
    getCredentials: () => ({ ...creds, ca: pki.ca.caPem }),
  });
  await waitFor('two refused attempts', () => engine.states.filter((s) => s === 'disconnected').length >= 2);
  assert.ok(!engine.states.includes('connected'));
  assert.equal(proxy.tunnel.registry.size, 0);
  assert.throws(
    () => proxy.tunnel.registry.pickEngine('orders'),
    (err: unknown) => err instanceof NoEngineError && err.message === "no engine serves database 'orders'",
  );
});

/** A TCP relay that can go silent without closing, like a partitioned network. */
async function startRelay(t: TestContext, targetPort: number) {
  const sockets: Socket[] = [];
  let silent = false;
  const server = createServer((client) => {
    if (silent) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.push(client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return {
    port: (server.address() as AddressInfo).port,
    silence(): void {
      silent = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
  };
}

test('heartbeats: a peer that goes silent is detected on both sides', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  const relay = await startRelay(t, proxy.port);
  const engine = await startEngine(t, pki, relay.port, 'engine-a', echo);
  await waitFor('the engine to register', () => proxy.tunnel.registry.size === 1);
  relay.silence();
  await waitFor('the proxy to drop the silent engine', () => proxy.tunnel.registry.size === 0);
  await waitFor('the engine to notice the silent proxy', () => engine.states.at(-1) !== 'connected');
  assert.equal(engine.client.connection, undefined);
});

test('after a proxy restart on the same port the engine reconnects and new streams work', async (t) => {
  const pki = await createPki(t);
  const first = await startProxy(t, pki);
  const engine = await startEngine(t, pki, first.port, 'engine-a', echo);
  await waitFor('the engine to register', () => first.tunnel.registry.size === 1);
  await first.close();
  await waitFor('the engine to notice the restart', () => engine.client.state !== 'connected');
  const second = await startProxy(t, pki, first.port);
  await waitFor('the engine to register again', () => second.tunnel.registry.size === 1);
  const { stream } = await second.tunnel.openSession(header());
  stream.end('ping after restart');
  let echoed = '';
  for await (const chunk of stream) echoed += chunk;
  assert.equal(echoed, 'ping after restart');
});

test('two engines serve one database; when one dies the other takes the sessions', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  const tag = (name: string) => (incoming: IncomingStream) => {
    const stream = incoming.accept();
    stream.end(name);
    stream.resume();
  };
  const a = await startEngine(t, pki, proxy.port, 'engine-a', tag('engine-a'));
  await startEngine(t, pki, proxy.port, 'engine-b', tag('engine-b'));
  await waitFor('both engines to register', () => proxy.tunnel.registry.size === 2);
  assert.equal(proxy.tunnel.registry.pickEngines('orders').length, 2);

  a.client.close();
  await waitFor('the proxy to drop engine-a', () => proxy.tunnel.registry.size === 1);
  assert.equal(proxy.tunnel.registry.pickEngine('orders').engine.engineId, 'engine-b');
  const { stream, engine } = await proxy.tunnel.openSession(header());
  assert.equal(engine.engineId, 'engine-b');
  stream.end();
  let who = '';
  for await (const chunk of stream) who += chunk;
  assert.equal(who, 'engine-b');
});

test('routing prefers healthy engines, follows UPDATEs, and falls back when an engine rejects', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  const reject = (incoming: IncomingStream): void =>
    incoming.reject({ code: 'GH_ERR_TUNNEL_STREAM_REJECTED', message: 'too busy' });
  const sick = await startEngine(t, pki, proxy.port, 'engine-sick', reject);
  await startEngine(t, pki, proxy.port, 'engine-well', echo, {
    databases: [database('orders', { health: 'unhealthy' })],
  });
  await waitFor('both engines to register', () => proxy.tunnel.registry.size === 2);
  // engine-sick is healthy on paper, so it is tried first, refuses, and engine-well takes over.
  assert.equal(proxy.tunnel.registry.pickEngine('orders').engine.engineId, 'engine-sick');
  const opened = await proxy.tunnel.openSession(header());
  assert.equal(opened.engine.engineId, 'engine-well');
  opened.stream.destroy();

  sick.client.updateDatabases([
    database('orders', { health: 'unhealthy' }),
    database('reports', { serverVersion: '8.0.36' }),
  ]);
  await waitFor('the UPDATE to arrive', () => proxy.tunnel.registry.listDatabases().length === 2);
  assert.equal(proxy.tunnel.registry.serverVersion('reports'), '8.0.36');
  await assert.rejects(proxy.tunnel.openSession(header('reports')), (err: unknown) =>
    isGatehouseError(err, 'GH_ERR_NO_ENGINE'),
  );
  await assert.rejects(proxy.tunnel.openSession(header('nowhere')), NoEngineError);
});

test('engines send control requests and get the proxy handler result or its error code', async (t) => {
  const pki = await createPki(t);
  const proxy = await startProxy(t, pki);
  proxy.tunnel.handle('audit.append', (engine, req) => {
    if ((req.body as { fail?: boolean }).fail) throw new TunnelError('GH_ERR_TUNNEL_TIMEOUT', 'store is slow');
    return { body: { acked: req.blobs.length, engineId: engine.engineId } };
  });
  const engine = await startEngine(t, pki, proxy.port, 'engine-a', echo);
  await assert.rejects(
    (async () => {
      if (engine.client.state === 'connected') throw new Error('connected already');
      return engine.client.request('audit.append', {});
    })(),
    (err: unknown) => isGatehouseError(err),
  );
  await waitFor('the engine to register', () => proxy.tunnel.registry.size === 1);
  const reply = await engine.client.request('audit.append', {}, [Buffer.from('e1'), Buffer.from('e2')]);
  assert.deepEqual(reply.body, { acked: 2, engineId: 'engine-a' });
  await assert.rejects(engine.client.request('audit.append', { fail: true }), (err: unknown) => {
    return (
      err instanceof TunnelError &&
      err.code === 'GH_ERR_TUNNEL_REQUEST_FAILED' &&
      err.remoteCode === 'GH_ERR_TUNNEL_TIMEOUT'
    );
  });
  await assert.rejects(engine.client.request('no.such.method', {}), (err: unknown) =>
    isGatehouseError(err, 'GH_ERR_TUNNEL_REQUEST_FAILED'),
  );
});
