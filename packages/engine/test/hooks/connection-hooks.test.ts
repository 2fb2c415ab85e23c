// Connection hooks (engine.hooks) against a real MariaDB primary and replica: deny, choose a
// backend, add audit fields; a hook that throws and one that never returns deny the session with
// a clear ERR and are counted, and the engine goes on; SIGHUP's reload re-imports the modules.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseErrPacket } from '@gatehouse/mysql-protocol';
import { scalar, startReplicationFixture } from '../backends/replication-fixture.js';
import { CLIENT_CAPS } from '../session/session-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-hooks-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const gate = join(dir, 'gate.mjs');
const route = join(dir, 'route.mjs');
const broken = join(dir, 'broken.mjs');

writeFileSync(
  gate,
  `export function onConnect(ctx) {
  if (ctx.connectionAttributes.program_name === 'blocked-tool') {
    return { deny: { message: 'blocked-tool may not connect', errno: 1045, sqlState: '28000' }, audit: { tool: 'blocked-tool' } };
  }
  return { audit: { tool: ctx.connectionAttributes.program_name ?? 'unknown' } };
}
`,
);
const routeV1 = `export function onHandshakeResponse(ctx) {
  if (ctx.user !== 'bob') return undefined;
  const replica = ctx.backends.find((b) => b.role === 'replica');
  return { backend: replica.uri, audit: { routed_by: 'route.mjs v1', db_user: ctx.dbUser } };
}
`;
writeFileSync(route, routeV1);
writeFileSync(
  broken,
  `export function onHandshakeResponse(ctx) {
  if (ctx.user === 'carol') throw new Error('carol is not expected today');
  if (ctx.user === 'dave') for (;;) {}
  return undefined;
}
`,
);

function errOf(login: Buffer) {
  const err = parseErrPacket(login, CLIENT_CAPS);
  assert.equal(err.kind, 'err', 'expected an ERR at login');
  return err as Extract<typeof err, { kind: 'err' }>;
}

test('connection hooks', async (t) => {
  const f = await startReplicationFixture({ replicas: 1 });
  t.after(() => f.stop());
  const engine = await f.startEngine(t, f.database({ routing: { policy: 'primary' } }), {
    hooks: [gate, route, broken],
    hook_timeout: '5s',
  });
  const startEvents = (sid: string) =>
    f.cluster.events.filter((e) => e.sid === sid && e.event === 'db.session.start') as unknown as Record<
      string,
      unknown
    >[];

  await t.test('onConnect denies with the ERR of its choosing, and the failure event carries its fields', async (t) => {
    const s = await f.open(t, engine, 'alice', { attributes: { program_name: 'blocked-tool' } });
    const err = errOf(s.login);
    assert.equal(err.errno, 1045);
    assert.equal(err.sqlState, '28000');
    assert.equal(err.message, 'blocked-tool may not connect');
    const [start] = startEvents(s.sessionId);
    assert.equal(start?.success, false);
    assert.deepEqual(start?.hook_fields, { tool: 'blocked-tool' });
  });

  await t.test('onHandshakeResponse chooses the replica for bob; alice follows the policy; both audited', async (t) => {
    const bob = await f.open(t, engine, 'bob', { attributes: { program_name: 'report-job' } });
    assert.equal(await scalar((await bob.client.query('SELECT @@server_id')).packets), '2');
    const alice = await f.open(t, engine, 'alice', { attributes: { program_name: 'mariadb' } });
    assert.equal(await scalar((await alice.client.query('SELECT @@server_id')).packets), '1');
    const [bobStart] = startEvents(bob.sessionId);
    assert.equal(bobStart?.success, true);
    assert.deepEqual(bobStart?.hook_fields, { tool: 'report-job', routed_by: 'route.mjs v1', db_user: 'gh_app' });
    assert.equal(bobStart?.backend, f.uri(f.servers[1]!));
    assert.deepEqual(startEvents(alice.sessionId)[0]?.hook_fields, { tool: 'mariadb' });
  });

  await t.test('a hook that throws denies with a clear ERR and is counted', async (t) => {
    const before = engine.hooks.counters.failed;
    const s = await f.open(t, engine, 'carol');
    const err = errOf(s.login);
    assert.equal(err.errno, 1105);
    assert.equal(err.message, 'onHandshakeResponse hook failed: broken.mjs threw: carol is not expected today');
    assert.equal(engine.hooks.counters.failed, before + 1);
  });

  await t.test('a hook that never returns runs out of its budget; the engine goes on', async (t) => {
    const before = engine.hooks.counters.timedOut;
    const s = await f.open(t, engine, 'dave');
    const err = errOf(s.login);
    assert.equal(err.errno, 1105);
    assert.equal(err.message, 'onHandshakeResponse hook failed: ran over its 5000 ms budget');
    assert.equal(engine.hooks.counters.timedOut, before + 1);
    // The hooks' worker was replaced: the next session runs every hook again.
    const next = await f.open(t, engine, 'bob');
    assert.equal(await scalar((await next.client.query('SELECT @@server_id')).packets), '2');
  });

  await t.test('a reload re-imports the modules; a module that fails to load keeps the running ones', async (t) => {
    writeFileSync(route, routeV1.replace("ctx.user !== 'bob'", "ctx.user !== 'nobody'"));
    await engine.setHooks([gate, route, broken]);
    const bob = await f.open(t, engine, 'bob');
    assert.equal(await scalar((await bob.client.query('SELECT @@server_id')).packets), '1');
    const bad = join(dir, 'syntax-error.mjs');
    writeFileSync(bad, 'export function onConnect( {');
    await assert.rejects(engine.setHooks([gate, bad]), /cannot load engine\.hooks: .*syntax-error\.mjs/);
    const blocked = await f.open(t, engine, 'alice', { attributes: { program_name: 'blocked-tool' } });
    assert.equal(errOf(blocked.login).message, 'blocked-tool may not connect');
  });
});
