import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { GatehouseConfigSchema } from '@gatehouse/common';
import type { EngineDrain } from '@gatehouse/common/cluster';
import { sumSamples } from '@gatehouse/common/metrics';
import { waitFor } from '@gatehouse/testing';
import pino from 'pino';
import { baseEngineId, drainRequestsFor } from '../../src/drain/drain-requests.js';
import { createEngine } from '../../src/index.js';
import { CLIENT_CAPS, createFixture, SERVICE } from '../session/session-fixture.js';
import { createTunnelPair } from '../session/tunnel-pair.js';

function drainOf(name: string, requested: Date, reason = 'kernel upgrade'): EngineDrain {
  return {
    name,
    id: randomUUID(),
    requested: requested.toISOString(),
    by: 'ops@host',
    reason,
    expires: new Date(requested.getTime() + 3_600_000).toISOString(),
  };
}

test('drainRequestsFor: requests for this engine (or, for a session worker, its engine) made since it started', () => {
  const started = new Date('2026-01-10T12:00:00Z');
  const before = drainOf('engine-a', new Date('2026-01-10T11:59:59Z'));
  const mine = drainOf('engine-a', new Date('2026-01-10T12:00:05Z'));
  const other = drainOf('engine-b', new Date('2026-01-10T12:00:05Z'));
  const snapshot = { drains: [other, mine, before] };
  assert.deepEqual(drainRequestsFor(snapshot, 'engine-a', started), [mine]);
  assert.deepEqual(drainRequestsFor(snapshot, 'engine-a#1', started), [mine]);
  assert.deepEqual(drainRequestsFor(snapshot, 'engine-c', started), []);
  assert.deepEqual(drainRequestsFor({}, 'engine-a', started), []);
  assert.equal(baseEngineId('engine-a#12'), 'engine-a');
  assert.equal(baseEngineId('a#b'), 'a#b');
});

test('a drain request in the cluster state: the engine stops taking streams, audits engine.drain once per request, and a second request is harmless', async (t) => {
  const f = await createFixture(t);
  const config = GatehouseConfigSchema.parse({
    engine: { name: 'engine-a', diag_listen: '127.0.0.1:0', health_check_interval: '1h', databases: [f.database] },
  }).engine;
  const engine = await createEngine({ config, log: pino({ level: 'silent' }), cluster: f.cluster });
  t.after(() => engine.close({ graceMs: 0 }));
  const pair = createTunnelPair((incoming) => engine.handleStream(incoming));
  t.after(() => pair.close());
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: SERVICE });
  const header = (sessionId: string) => ({
    sessionId,
    clientAddress: { host: '127.0.0.1', port: 1 },
    capabilities: CLIENT_CAPS,
    mariadbCapabilities: 0,
    connectionAttributes: {},
    clientCertChain: [alice],
    route: { dbService: SERVICE, dbUser: f.dbUser, dbName: f.schema },
  });
  const drainEvents = () => f.cluster.events.filter((e) => e.event === 'engine.drain');

  // Another engine's request, and one from before this engine started, change nothing.
  f.cluster.setDrains([drainOf('engine-b', new Date()), drainOf('engine-a', new Date(Date.now() - 60_000))]);
  assert.equal(engine.state, 'serving');
  const served = await pair.proxy.openStream(header('s-1'));
  served.destroy();

  const first = drainOf('engine-a', new Date(Date.now() + 1));
  f.cluster.setDrains([first]);
  await waitFor('the engine to drain', () => (engine.state === 'draining' ? true : undefined));
  await assert.rejects(pair.proxy.openStream(header('s-2')), (err: Error & { remoteCode?: string }) => {
    assert.equal(err.remoteCode, 'GH_ERR_ENGINE_DRAINING');
    assert.match(err.message, /engine engine-a is draining/);
    return true;
  });
  const [event] = drainEvents();
  assert.equal(drainEvents().length, 1);
  assert.equal(event?.event, 'engine.drain');
  if (event?.event !== 'engine.drain') return;
  assert.equal(event.code, 'GEN00I');
  assert.equal(event.sid, `drain-${first.id}`);
  assert.equal(event.user, 'ops@host');
  assert.equal(event.engine_id, 'engine-a');
  assert.equal(event.request_id, first.id);
  assert.equal(event.reason, 'kernel upgrade');
  assert.deepEqual(event.databases, [SERVICE]);
  assert.equal(event.already_draining, false);

  // The same request seen again (every state change carries it) is not carried out twice.
  f.cluster.setDrains([first]);
  assert.equal(drainEvents().length, 1);
  const second = drainOf('engine-a', new Date(Date.now() + 2), 'again');
  f.cluster.setDrains([second]);
  assert.equal(drainEvents().length, 2);
  const last = drainEvents()[1];
  assert.ok(last?.event === 'engine.drain' && last.already_draining === true && last.request_id === second.id);
  assert.equal(engine.state, 'draining');

  const metrics = await fetch(`http://${engine.diagAddress}/metrics`).then((r) => r.text());
  assert.equal(sumSamples(metrics, 'gatehouse_engine_state', { state: 'draining' }), 1);
  assert.equal(sumSamples(metrics, 'gatehouse_engine_state', { state: 'serving' }), 0);
});
