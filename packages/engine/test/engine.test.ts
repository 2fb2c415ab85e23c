import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseConfigSchema } from '@gatehouse/common';
import { sumSamples } from '@gatehouse/common/metrics';
import { parseOkPacket } from '@gatehouse/mysql-protocol';
import pino from 'pino';
import { createEngine } from '../src/index.js';
import { RawClient } from './session/raw-client.js';
import { CLIENT_CAPS, createFixture, readOnePacket, SERVICE } from './session/session-fixture.js';
import { createTunnelPair } from './session/tunnel-pair.js';

test('the engine service: health reports the real version, unknown databases are rejected, metrics, drain', async (t) => {
  const f = await createFixture(t);
  const config = GatehouseConfigSchema.parse({
    engine: { name: 'engine-a', diag_listen: '127.0.0.1:0', health_check_interval: '1h', databases: [f.database] },
  }).engine;
  const engine = await createEngine({ config, log: pino({ level: 'silent' }), cluster: f.cluster });
  let closed = false;
  t.after(async () => {
    if (!closed) await engine.close({ graceMs: 0 });
  });

  const [info] = await engine.checkHealth();
  assert.equal(info?.health, 'healthy');
  const [row] = await f.db.sql('SELECT VERSION()');
  assert.ok(
    info!.serverVersion.endsWith(String(Object.values(row!)[0])),
    `${info!.serverVersion} announces the real version`,
  );
  assert.ok(info!.capabilities !== 0);

  const pair = createTunnelPair((incoming) => engine.handleStream(incoming));
  t.after(() => pair.close());
  const cert = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'other' });
  const base = {
    sessionId: 's-1',
    clientAddress: { host: '127.0.0.1', port: 1 },
    capabilities: CLIENT_CAPS,
    mariadbCapabilities: 0,
    connectionAttributes: {},
    clientCertChain: [cert],
  };
  await assert.rejects(
    pair.proxy.openStream({ ...base, route: { dbService: 'other', dbUser: f.dbUser, dbName: '' } }),
    (err: Error & { remoteCode?: string }) => {
      assert.match(err.message, /does not serve database 'other'/);
      return true;
    },
  );

  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: SERVICE });
  const stream = await pair.proxy.openStream({
    ...base,
    sessionId: 's-2',
    route: { dbService: SERVICE, dbUser: f.dbUser, dbName: f.schema },
    clientCertChain: [alice],
  });
  const first = await readOnePacket(stream);
  assert.equal(parseOkPacket(first.payload, CLIENT_CAPS).kind, 'ok');
  const c = new RawClient(stream, CLIENT_CAPS);
  stream.resume();
  await c.query('SELECT 1');

  const metrics = await fetch(`http://${engine.diagAddress}/metrics`).then((r) => r.text());
  assert.equal(sumSamples(metrics, 'gatehouse_engine_sessions', { db: SERVICE }), 1);
  assert.ok(sumSamples(metrics, 'gatehouse_engine_commands_total', { db: SERVICE }) >= 1);
  assert.equal(sumSamples(metrics, 'gatehouse_engine_command_seconds_count', { db: SERVICE, kind: 'query' }), 1);
  assert.equal(sumSamples(metrics, 'gatehouse_engine_database_up', { db: SERVICE }), 1);
  assert.equal((await fetch(`http://${engine.diagAddress}/healthz`)).status, 200);

  // Drain: the open session gets an ERR saying the engine is shutting down, then all is closed.
  closed = true;
  await engine.close({ graceMs: 50 });
  await c.closed;
  assert.match(c.unsolicited.map((p) => p.toString('latin1')).join(''), /shutting down/);
  assert.equal(engine.metrics.sessionsOpen, 0);
});
