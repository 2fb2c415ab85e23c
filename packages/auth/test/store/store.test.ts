import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Role } from '@gatehouse/common';
import { waitFor } from '@gatehouse/testing';
import { openStore, type Store } from '../../src/store/store.js';

const dev: Role = {
  kind: 'role',
  name: 'dev',
  options: { max_session_ttl: '8h' },
  allow: { db_labels: { env: 'dev' }, db_users: ['{{internal.db_users}}'], db_names: ['*'] },
};
const ops: Role = { kind: 'role', name: 'ops', options: { max_session_ttl: '1h' } };

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<{ store: Store; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gh-store-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const store = await openStore({ dataDir });
  await store.putRole(dev);
  await store.putRole(ops);
  return { store, dataDir };
}

const T0 = new Date('2025-03-01T12:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

test('store: users are created, listed, updated and removed', async (t) => {
  const { store, dataDir } = await setup(t);
  const alice = await store.addUser({ name: 'alice', roles: ['dev'], traits: { db_users: ['alice'] } }, T0);
  assert.equal(alice.created, T0.toISOString());
  await store.addUser({ name: 'bob', roles: ['ops'] });
  assert.deepEqual(
    (await store.listUsers()).map((u) => u.name),
    ['alice', 'bob'],
  );
  assert.deepEqual(
    (await store.listUsers({ role: 'ops' })).map((u) => u.name),
    ['bob'],
  );
  assert.deepEqual(await readdir(join(dataDir, 'state', 'users')), ['alice.json', 'bob.json']);

  const updated = await store.updateUser(
    'alice',
    { roles: ['dev', 'ops'], traits: { db_names: ['app'] } },
    later(1000),
  );
  assert.deepEqual(updated.roles, ['dev', 'ops']);
  assert.deepEqual(updated.traits, { db_users: ['alice'], db_names: ['app'] });
  assert.equal(updated.updated, later(1000).toISOString());
  assert.equal(updated.created, T0.toISOString());

  await store.removeUser('bob');
  assert.equal(await store.getUser('bob'), undefined);
  await assert.rejects(store.removeUser('bob'), {
    code: 'GH_ERR_STORE_NOT_FOUND',
    message: "user 'bob' does not exist",
  });
});

test('store: unknown roles and duplicate users are refused', async (t) => {
  const { store } = await setup(t);
  await assert.rejects(store.addUser({ name: 'carol', roles: ['dev', 'nope'] }), {
    code: 'GH_ERR_UNKNOWN_ROLE',
    message: /unknown role 'nope'/,
  });
  assert.equal(await store.getUser('carol'), undefined);
  await store.addUser({ name: 'carol', roles: ['dev'] });
  await assert.rejects(store.addUser({ name: 'carol', roles: ['dev'] }), { code: 'GH_ERR_STORE_EXISTS' });
  await assert.rejects(store.updateUser('carol', { roles: ['ghost'] }), { code: 'GH_ERR_UNKNOWN_ROLE' });
  await assert.rejects(store.updateUser('nobody', { roles: ['dev'] }), { code: 'GH_ERR_STORE_NOT_FOUND' });
  await assert.rejects(store.addUser({ name: '../evil', roles: ['dev'] }), {
    code: 'GH_ERR_CONFIG',
    message: /name: /,
  });
});

test('store: a corrupt file is reported with its path and the bad field', async (t) => {
  const { store, dataDir } = await setup(t);
  const file = join(dataDir, 'state', 'users', 'mallory.json');
  await writeFile(file, JSON.stringify({ name: 'mallory', roles: 'dev', traits: {}, created: 'x', updated: 'y' }));
  await assert.rejects(store.getUser('mallory'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'GH_ERR_STORE_CORRUPT');
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, /roles: /);
    return true;
  });
  await writeFile(file, '{ not json');
  await assert.rejects(store.listUsers(), {
    code: 'GH_ERR_STORE_CORRUPT',
    message: new RegExp(`^${file}: not valid JSON`),
  });
  const roleFile = join(dataDir, 'state', 'roles', 'bad.json');
  await writeFile(roleFile, JSON.stringify({ kind: 'role', name: 'bad', options: { max_session_ttl: 'soon' } }));
  await assert.rejects(store.getRole('bad'), {
    code: 'GH_ERR_STORE_CORRUPT',
    message: /bad\.json: options\.max_session_ttl: invalid duration/,
  });
});

test('store: a file whose name disagrees with its content is corrupt', async (t) => {
  const { store, dataDir } = await setup(t);
  const now = T0.toISOString();
  await writeFile(
    join(dataDir, 'state', 'users', 'eve.json'),
    JSON.stringify({ name: 'root', roles: ['dev'], traits: {}, created: now, updated: now }),
  );
  await assert.rejects(store.getUser('eve'), { code: 'GH_ERR_STORE_CORRUPT', message: /name: does not match/ });
});

test('store: roles are created, replaced only with replace, and not removed while in use', async (t) => {
  const { store } = await setup(t);
  await assert.rejects(store.putRole({ ...dev, options: { max_session_ttl: '2h' } }), { code: 'GH_ERR_STORE_EXISTS' });
  assert.deepEqual(await store.putRole({ ...dev, options: { max_session_ttl: '2h' } }, { replace: true }), {
    created: false,
  });
  assert.equal((await store.getRole('dev'))?.options?.max_session_ttl, '2h');
  await assert.rejects(store.putRole({ ...dev, name: 'x', options: { max_session_ttl: 'forever' } } as Role), {
    code: 'GH_ERR_CONFIG',
  });
  await store.addUser({ name: 'alice', roles: ['ops'] });
  await assert.rejects(store.removeRole('ops'), { code: 'GH_ERR_STORE_CONFLICT', message: /still used by alice/ });
  await store.removeRole('dev');
  assert.deepEqual(
    (await store.listRoles()).map((r) => r.name),
    ['ops'],
  );
  await assert.rejects(store.removeRole('dev'), { code: 'GH_ERR_STORE_NOT_FOUND' });
});

test('store: resolveUserAccess gives the roles and the TTL cap (minimum over roles)', async (t) => {
  const { store, dataDir } = await setup(t);
  await store.addUser({ name: 'alice', roles: ['dev', 'ops'] });
  const access = await store.resolveUserAccess('alice');
  assert.deepEqual(
    access.roles.map((r) => r.name),
    ['dev', 'ops'],
  );
  assert.equal(access.sessionOptions.maxSessionTtlMs, 3_600_000);
  await rm(join(dataDir, 'state', 'roles', 'ops.json'));
  const after = await store.resolveUserAccess('alice');
  assert.deepEqual(after.missingRoles, ['ops']);
  assert.equal(after.sessionOptions.maxSessionTtlMs, 8 * 3_600_000);
  await assert.rejects(store.resolveUserAccess('nobody'), { code: 'GH_ERR_STORE_NOT_FOUND' });
});

test('store: tokens are single-use, expire, and only their hash is stored', async (t) => {
  const { store, dataDir } = await setup(t);
  const created = await store.createToken({ type: 'engine', ttlMs: 3_600_000 }, T0);
  assert.match(created.secret, /^[0-9a-f]{64}$/);
  const [file] = await readdir(join(dataDir, 'state', 'tokens'));
  const { readFile } = await import('node:fs/promises');
  const stored = await readFile(join(dataDir, 'state', 'tokens', file!), 'utf8');
  assert.ok(!stored.includes(created.secret), 'the secret is never written to disk');
  assert.deepEqual(
    (await store.listTokens(T0)).map((x) => [x.id, x.expired]),
    [[created.id, false]],
  );

  const redeemed = await store.consumeToken(created.secret, later(1000));
  assert.equal(redeemed.type, 'engine');
  await assert.rejects(store.consumeToken(created.secret, later(2000)), { code: 'GH_ERR_TOKEN_INVALID' });

  const expiring = await store.createToken({ type: 'engine', ttlMs: 60_000 }, T0);
  assert.equal((await store.listTokens(later(60_000)))[0]?.expired, true);
  await assert.rejects(store.consumeToken(expiring.secret, later(60_000)), {
    code: 'GH_ERR_TOKEN_EXPIRED',
    message: /expired at 2025-03-01T12:01:00/,
  });
  await assert.rejects(store.consumeToken('not-a-token'), { code: 'GH_ERR_TOKEN_INVALID' });
});

test('store: concurrent redemptions of one token succeed exactly once', async (t) => {
  const { store } = await setup(t);
  const { secret } = await store.createToken({ type: 'engine', ttlMs: 60_000 });
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.consumeToken(secret)));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
});

test('store: locks apply until they expire', async (t) => {
  const { store } = await setup(t);
  await store.addUser({ name: 'alice', roles: ['dev'] });
  await store.addUser({ name: 'bob', roles: ['dev'] });
  await store.lockUser({ user: 'alice', ttlMs: 3_600_000, message: 'incident 42' }, T0);
  await store.lockUser({ user: 'bob' }, T0);
  assert.equal((await store.isLocked('alice', later(1000)))?.message, 'incident 42');
  assert.equal(await store.isLocked('alice', later(3_600_000)), undefined);
  assert.match((await store.isLocked('bob', later(1e9)))?.message ?? '', /locked by an administrator/);
  assert.deepEqual(
    (await store.listActiveLocks(later(1000))).map((l) => l.target.user),
    ['alice', 'bob'],
  );
  assert.deepEqual(
    (await store.listActiveLocks(later(3_600_001))).map((l) => l.target.user),
    ['bob'],
  );
  assert.equal(await store.unlockUser('bob'), true);
  assert.equal(await store.unlockUser('bob'), false);
  assert.equal(await store.isLocked('bob', T0), undefined);
  await assert.rejects(store.lockUser({ user: 'ghost' }), { code: 'GH_ERR_STORE_NOT_FOUND' });
});

test('store: compare-and-swap refuses a stale revision', async (t) => {
  const { store } = await setup(t);
  const first = await store.backend.get('roles', 'dev');
  assert.ok(first);
  await store.backend.put('roles', 'dev', { ...dev, options: { max_session_ttl: '3h' } }, first.revision);
  await assert.rejects(store.backend.put('roles', 'dev', dev, first.revision), { code: 'GH_ERR_STORE_CONFLICT' });
  await assert.rejects(store.backend.delete('roles', 'dev', first.revision), { code: 'GH_ERR_STORE_CONFLICT' });
  assert.equal((await store.getRole('dev'))?.options?.max_session_ttl, '3h');
});

test('store: version changes on every write and watch reports it', async (t) => {
  const { store } = await setup(t);
  const v1 = await store.version();
  let changes = 0;
  const watch = store.watch(() => changes++, { intervalMs: 10, since: v1 });
  t.after(() => watch.close());
  await store.addUser({ name: 'zed', roles: ['dev'] });
  assert.notEqual(await store.version(), v1);
  await waitFor('the watch to see the change', () => changes > 0);
  assert.ok(changes > 0, 'watch saw the change');
});
