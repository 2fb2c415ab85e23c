import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatabaseInfo, TunnelConnection } from '@gatehouse/tunnel';
import { EngineRegistry, NoEngineError } from '../../src/tunnel/engine-registry.js';

const fakeConnection = (): TunnelConnection => ({ closed: false }) as TunnelConnection;

function db(name: string, health: DatabaseInfo['health'], serverVersion = '11.4.2-MariaDB'): DatabaseInfo {
  return { name, labels: {}, health, serverVersion, capabilities: 0, mariadbCapabilities: 0 };
}

function add(registry: EngineRegistry, engineId: string, databases: DatabaseInfo[], connection = fakeConnection()) {
  return registry.add({
    engineId,
    version: '1',
    connection,
    remoteAddress: '127.0.0.1',
    connectedAt: new Date(),
    databases: new Map(databases.map((d) => [d.name, d])),
    state: 'serving',
  });
}

test('pickEngines puts healthy engines first, then unknown, then unhealthy', () => {
  const registry = new EngineRegistry();
  add(registry, 'sick', [db('orders', 'unhealthy')]);
  add(registry, 'fine-1', [db('orders', 'healthy')]);
  add(registry, 'unsure', [db('orders', 'unknown')]);
  add(registry, 'fine-2', [db('orders', 'healthy')]);
  add(registry, 'other', [db('reports', 'healthy')]);
  for (let i = 0; i < 20; i++) {
    const order = registry.pickEngines('orders').map((c) => c.engine.engineId);
    assert.deepEqual(order.slice(2), ['unsure', 'sick']);
    assert.deepEqual([...order.slice(0, 2)].sort(), ['fine-1', 'fine-2']);
  }
});

test('pickEngine spreads sessions at random among equally healthy engines', () => {
  const registry = new EngineRegistry();
  add(registry, 'a', [db('orders', 'healthy')]);
  add(registry, 'b', [db('orders', 'healthy')]);
  const seen = new Set<string>();
  for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(registry.pickEngine('orders').engine.engineId);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});

test('no engine for a service is a NoEngineError saying "no engine serves database \'x\'"', () => {
  const registry = new EngineRegistry();
  add(registry, 'a', [db('orders', 'healthy')]);
  assert.throws(
    () => registry.pickEngine('x'),
    (err: unknown) =>
      err instanceof NoEngineError &&
      err.code === 'GH_ERR_NO_ENGINE' &&
      err.message === "no engine serves database 'x'",
  );
});

test('a draining engine gets no new sessions: pickEngines leaves it out, and names it when it was the only one', () => {
  const registry = new EngineRegistry();
  const a = fakeConnection();
  add(registry, 'a', [db('orders', 'healthy')], a);
  add(registry, 'b', [db('orders', 'unhealthy')]);
  registry.update(a, {
    engineId: 'a',
    version: '1',
    protocol: 1,
    databases: [db('orders', 'healthy')],
    state: 'draining',
  });
  for (let i = 0; i < 10; i++)
    assert.deepEqual(
      registry.pickEngines('orders').map((c) => c.engine.engineId),
      ['b'],
    );
  const only = new EngineRegistry();
  const c = fakeConnection();
  add(only, 'c', [db('orders', 'healthy')], c);
  only.update(c, { engineId: 'c', version: '1', protocol: 1, databases: [db('orders', 'healthy')], state: 'draining' });
  assert.throws(
    () => only.pickEngines('orders'),
    (err: unknown) =>
      err instanceof NoEngineError &&
      err.draining.join() === 'c' &&
      err.message === "no engine serves database 'orders' right now: engine c is draining",
  );
  // Serving again (an engine that restarted registers as serving).
  only.update(c, { engineId: 'c', version: '1', protocol: 1, databases: [db('orders', 'healthy')] });
  assert.equal(only.pickEngine('orders').engine.engineId, 'c');
});

test('a reconnecting engine replaces its stale entry, and the stale close does not remove the new one', () => {
  const registry = new EngineRegistry();
  const old = fakeConnection();
  const fresh = fakeConnection();
  add(registry, 'a', [db('orders', 'healthy')], old);
  const replaced = add(registry, 'a', [db('orders', 'healthy', '10.11.6-MariaDB')], fresh);
  assert.equal(replaced?.connection, old);
  registry.remove(old, 'a');
  assert.equal(registry.size, 1);
  assert.equal(registry.serverVersion('orders'), '10.11.6-MariaDB');
  registry.update(fresh, { engineId: 'a', version: '1', protocol: 1, databases: [db('orders', 'unhealthy')] });
  assert.deepEqual(registry.listDatabases(), [
    { name: 'orders', engines: [{ engineId: 'a', health: 'unhealthy', serverVersion: '11.4.2-MariaDB', labels: {} }] },
  ]);
  registry.remove(fresh, 'a');
  assert.equal(registry.size, 0);
});
