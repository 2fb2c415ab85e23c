import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scalar, startReplicationFixture } from './replication-fixture.js';

const PROCESSLIST_HOST = 'SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()';

test('send_proxy_protocol: MariaDB with proxy_protocol_networks sees the client, not the engine', async (t) => {
  const f = await startReplicationFixture({ replicas: 0, args: ['--proxy-protocol-networks=127.0.0.0/8'] });
  t.after(() => f.stop());

  for (const version of ['v2', 'v1'] as const) {
    await t.test(`PROXY ${version}`, async (t) => {
      const engine = await f.startEngine(t, f.database({ send_proxy_protocol: version }));
      // The monitor's own connections carry a LOCAL/UNKNOWN header and still see the server.
      assert.equal(engine.databases()[0]?.backends?.[0]?.health, 'healthy');
      assert.equal(engine.databases()[0]?.backends?.[0]?.role, 'primary');
      const s = await f.open(t, engine, 'alice', { clientHost: '198.51.100.23' });
      assert.equal(s.login[0], 0x00);
      assert.match(scalar((await s.client.query(PROCESSLIST_HOST)).packets), /^198\.51\.100\.23:\d+$/);
    });
  }

  await t.test('without it, the server sees the engine', async (t) => {
    const engine = await f.startEngine(t, f.database());
    const s = await f.open(t, engine, 'alice', { clientHost: '198.51.100.23' });
    assert.match(scalar((await s.client.query(PROCESSLIST_HOST)).packets), /^127\.0\.0\.1:\d+$/);
  });
});
