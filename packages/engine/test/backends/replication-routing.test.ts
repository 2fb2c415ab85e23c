import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { parseErrPacket } from '@gatehouse/mysql-protocol';
import { CLIENT_CAPS } from '../session/session-fixture.js';
import { SCHEMA, scalar, startReplicationFixture } from './replication-fixture.js';

async function serverId(session: { client: { query(sql: string): Promise<{ packets: Buffer[] }> } }): Promise<string> {
  return scalar((await session.client.query('SELECT @@server_id')).packets);
}

async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('routing over a real primary and two replicas', async (t) => {
  const f = await startReplicationFixture({ replicas: 2 });
  t.after(() => f.stop());
  const [primary, replica1, replica2] = f.servers;
  /** Stops both replicas' SQL threads until the end of the subtest `t`. */
  const stopReplication = async (t: TestContext): Promise<void> => {
    await replica1!.sql('STOP SLAVE SQL_THREAD');
    await replica2!.sql('STOP SLAVE SQL_THREAD');
    t.after(async () => {
      await replica1!.sql('START SLAVE SQL_THREAD');
      await replica2!.sql('START SLAVE SQL_THREAD');
    });
  };

  await t.test('the monitor reads each backend: role, read_only, lag and version', async (t) => {
    const engine = await f.startEngine(t, f.database());
    const [info] = engine.databases();
    assert.equal(info?.health, 'healthy');
    const backends = info?.backends ?? [];
    assert.deepEqual(
      backends.map((b) => [b.uri, b.role, b.health, b.readOnly]),
      [
        [f.uri(primary!), 'primary', 'healthy', false],
        [f.uri(replica1!), 'replica', 'healthy', true],
        [f.uri(replica2!), 'replica', 'healthy', true],
      ],
    );
    assert.equal(backends[0]?.lagSeconds, undefined);
    assert.equal(typeof backends[1]?.lagSeconds, 'number');
    assert.match(backends[0]?.serverVersion ?? '', /MariaDB/);
  });

  await t.test('primary: sessions land on the writable backend, and writes reach the replicas', async (t) => {
    const engine = await f.startEngine(t, f.database({ routing: { policy: 'primary' } }));
    const s = await f.open(t, engine, 'alice');
    assert.equal(s.login[0], 0x00);
    assert.equal(await serverId(s), '1');
    const insert = await s.client.query(`INSERT INTO ${SCHEMA}.items VALUES (1, 'written through the gateway')`);
    assert.equal(insert.outcomes[0]?.kind, 'ok');
    await f.set.waitForReplica(replica1!);
    const [row] = await replica1!.sql(`SELECT name FROM ${SCHEMA}.items WHERE id = 1`);
    assert.equal(row?.name, 'written through the gateway');
  });

  await t.test(
    'prefer_replica reads from a replica, and falls back to the primary when replication stops',
    async (t) => {
      const engine = await f.startEngine(
        t,
        f.database({ routing: { policy: 'prefer_replica', max_replica_lag: '10s' } }),
      );
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(await serverId(await f.open(t, engine, 'alice')));
      assert.ok(!seen.has('1'), `a session went to the primary: ${[...seen].join(',')}`);
      await stopReplication(t);
      await engine.checkHealth();
      assert.deepEqual(
        engine.databases()[0]?.backends?.map((b) => b.lagSeconds),
        [undefined, null, null],
      );
      assert.equal(await serverId(await f.open(t, engine, 'alice')), '1');
      // One replica back: reads go to it again.
      await replica2!.sql('START SLAVE SQL_THREAD');
      await f.set.waitForReplica(replica2!);
      await engine.checkHealth();
      assert.equal(await serverId(await f.open(t, engine, 'alice')), '3');
    },
  );

  await t.test('a certificate with --db-role replica lands on a replica even under primary routing', async (t) => {
    const engine = await f.startEngine(t, f.database({ routing: { policy: 'primary' } }));
    const s = await f.open(t, engine, 'alice', { dbRole: 'replica' });
    assert.notEqual(await serverId(s), '1');
    await stopReplication(t);
    await engine.checkHealth();
    const refused = await f.open(t, engine, 'alice', { dbRole: 'replica' });
    const err = parseErrPacket(refused.login, CLIENT_CAPS);
    assert.equal(err.kind, 'err');
    if (err.kind === 'err') {
      assert.equal(err.errno, 1105);
      assert.match(err.message, /has no replica within the lag limit of 30s available/);
      assert.match(err.message, /replication stopped/);
    }
  });

  await t.test(
    'disconnect_unavailable: the primary turning read-only closes its sessions with an ERR saying why',
    async (t) => {
      const engine = await f.startEngine(
        t,
        f.database({ routing: { policy: 'primary', disconnect_unavailable: true } }),
      );
      const s = await f.open(t, engine, 'alice');
      assert.equal(await serverId(s), '1');
      await primary!.sql('SET GLOBAL read_only = 1');
      t.after(() => primary!.sql('SET GLOBAL read_only = 0'));
      await engine.checkHealth();
      await until('the session to end', () => s.client.ended);
      const [packet] = s.client.unsolicited;
      assert.ok(packet, 'the engine sent an ERR before closing');
      const err = parseErrPacket(packet, CLIENT_CAPS);
      assert.equal(err.kind, 'err');
      if (err.kind === 'err') {
        assert.equal(err.errno, 1927);
        assert.equal(err.sqlState, '70100');
        assert.match(
          err.message,
          new RegExp(
            `backend ${f.uri(primary!)} of database 'shop' changed role from primary to replica \\(read_only=1\\)`,
          ),
        );
      }
      // No writable backend is left: a new session is refused with the reason.
      const refused = await f.open(t, engine, 'alice');
      const denial = parseErrPacket(refused.login, CLIENT_CAPS);
      assert.equal(denial.kind, 'err');
      if (denial.kind === 'err') assert.match(denial.message, /has no writable backend \(primary\) available/);
    },
  );

  await t.test('consistent_hash: a user keeps its backend; removing one moves only its users', async (t) => {
    const users = Array.from({ length: 12 }, (_, i) => `user${i}`);
    const placements = async (servers: typeof f.servers): Promise<Map<string, string>> => {
      const engine = await f.startEngine(
        t,
        f.database({ routing: { policy: 'consistent_hash', hash_on: 'user' } }, servers),
      );
      const placed = new Map<string, string>();
      for (const user of users) {
        const first = await serverId(await f.open(t, engine, user));
        const again = await serverId(await f.open(t, engine, user));
        assert.equal(again, first, `${user} moved between two sessions`);
        placed.set(user, first);
      }
      return placed;
    };
    const before = await placements(f.servers);
    assert.ok(new Set(before.values()).size >= 2, 'the users spread over the backends');
    const after = await placements([primary!, replica1!]);
    for (const user of users) {
      if (before.get(user) === '3') assert.notEqual(after.get(user), '3');
      else assert.equal(after.get(user), before.get(user), `${user} moved though its backend stayed`);
    }
  });
});
