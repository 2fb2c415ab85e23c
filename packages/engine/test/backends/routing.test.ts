import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isGatehouseError } from '@gatehouse/common';
import { createSeededRandom } from '@gatehouse/testing';
import type { BackendInfo } from '@gatehouse/tunnel';
import { type RouteRequest, rendezvousOrder, routeSession } from '../../src/backends/routing.js';

function backend(uri: string, fields: Partial<BackendInfo> = {}): BackendInfo {
  return { uri, role: 'replica', health: 'healthy', serverVersion: '10.11', weight: 1, lagSeconds: 0, ...fields };
}

const primary = backend('db1:3306', { role: 'primary', lagSeconds: undefined, readOnly: false });
const replicaA = backend('db2:3306', { lagSeconds: 2 });
const replicaB = backend('db3:3306', { lagSeconds: 120 });
const request = (fields: Partial<RouteRequest>): RouteRequest => ({
  dbService: 'shop',
  policy: 'primary',
  maxReplicaLagMs: 30_000,
  hashKey: 'alice',
  ...fields,
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isGatehouseError(err));
    assert.equal(err.code, 'GH_ERR_ENGINE_NO_BACKEND');
    return err.message;
  }
  assert.fail('expected a refusal');
}

test('primary routes to the writable backend only', () => {
  assert.deepEqual(routeSession([replicaA, primary, replicaB], request({})), [primary]);
  const message = refusal(() => routeSession([replicaA, replicaB], request({})));
  assert.match(
    message,
    /database 'shop' has no writable backend \(primary\) available \(db2:3306 healthy replica, lag 2s; db3:3306/,
  );
});

test('prefer_replica: replicas within the lag limit first, the primary as the fallback', () => {
  assert.deepEqual(routeSession([primary, replicaA, replicaB], request({ policy: 'prefer_replica' })), [
    replicaA,
    primary,
  ]);
  const stopped = backend('db2:3306', { lagSeconds: null });
  assert.deepEqual(routeSession([primary, stopped, replicaB], request({ policy: 'prefer_replica' })), [primary]);
  const down = backend('db2:3306', { health: 'unhealthy' });
  assert.deepEqual(routeSession([primary, down], request({ policy: 'prefer_replica' })), [primary]);
});

test('a certificate role overrides the policy; replica never falls back to the primary', () => {
  assert.deepEqual(routeSession([primary, replicaA], request({ policy: 'any', certRole: 'primary' })), [primary]);
  assert.deepEqual(routeSession([primary, replicaA], request({ certRole: 'replica' })), [replicaA]);
  assert.match(
    refusal(() => routeSession([primary, replicaB], request({ certRole: 'replica' }))),
    /no replica within the lag limit of 30s/,
  );
});

test('without a monitor user, roles are unknown and primary routing takes the first usable backend', () => {
  const a = backend('a:1', { role: 'unknown', health: 'unknown' });
  const b = backend('b:1', { role: 'unknown', health: 'healthy' });
  assert.deepEqual(routeSession([a, b], request({})), [a, b]);
  // One backend that is down is still tried, so the person sees the connect error.
  const only = backend('a:1', { role: 'unknown', health: 'unhealthy' });
  assert.deepEqual(routeSession([only], request({})), [only]);
});

test('any: weighted random among healthy backends', () => {
  const random = createSeededRandom(7);
  const heavy = backend('heavy:1', { weight: 3 });
  const light = backend('light:1', { weight: 1 });
  const down = backend('down:1', { health: 'unhealthy' });
  const first = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    const order = routeSession([heavy, light, down], request({ policy: 'any', random: () => random.next() }));
    assert.equal(order.length, 2);
    first.set(order[0]!.uri, (first.get(order[0]!.uri) ?? 0) + 1);
  }
  const share = (first.get('heavy:1') ?? 0) / 4000;
  assert.ok(share > 0.7 && share < 0.8, `heavy came first ${share} of the time, expected about 0.75`);
});

test('rendezvous hashing: stable per key, and removing a backend moves only its keys', () => {
  const backends = Array.from({ length: 5 }, (_, i) => backend(`db${i}:3306`));
  const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
  const place = (list: readonly BackendInfo[]) => new Map(keys.map((k) => [k, rendezvousOrder(k, list)[0]!.uri]));
  const before = place(backends);
  assert.deepEqual(place(backends), before);
  assert.deepEqual(place([...backends].reverse()), before, 'the order of the backends does not matter');
  const counts = new Map<string, number>();
  for (const uri of before.values()) counts.set(uri, (counts.get(uri) ?? 0) + 1);
  for (const [uri, n] of counts) assert.ok(n > 300 && n < 500, `${uri} holds ${n} of 2000 keys`);
  const removed = 'db2:3306';
  const after = place(backends.filter((b) => b.uri !== removed));
  let moved = 0;
  for (const k of keys) {
    if (before.get(k) === removed) {
      moved++;
      assert.notEqual(after.get(k), removed);
    } else assert.equal(after.get(k), before.get(k), `${k} moved though its backend stayed`);
  }
  assert.equal(moved, counts.get(removed));
  // Adding it back restores exactly the old placement.
  assert.deepEqual(place(backends), before);
});

test('rendezvous hashing honours weights', () => {
  const list = [backend('big:1', { weight: 4 }), backend('small:1', { weight: 1 })];
  let big = 0;
  for (let i = 0; i < 5000; i++) if (rendezvousOrder(`k${i}`, list)[0]!.uri === 'big:1') big++;
  const share = big / 5000;
  assert.ok(share > 0.76 && share < 0.84, `weight 4 of 5 took ${share}`);
});

test('consistent_hash skips an unhealthy backend and falls over to the next by score', () => {
  const list = [backend('a:1'), backend('b:1'), backend('c:1')];
  const order = routeSession(list, request({ policy: 'consistent_hash', hashKey: 'carol' }));
  const best = order[0]!;
  const withoutBest = list.map((b) => (b.uri === best.uri ? { ...b, health: 'unhealthy' as const } : b));
  assert.deepEqual(routeSession(withoutBest, request({ policy: 'consistent_hash', hashKey: 'carol' })), order.slice(1));
});
