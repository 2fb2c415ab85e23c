// One suite, two backends: the state store behaves the same on files and on PostgreSQL. Each
// case opens two Store instances on one backend, as two processes (gatectl and a server, or
// two auth parts) would.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Role } from '@gatehouse/common';
import { type Postgres, startPostgres } from '@gatehouse/testing';
import { openPostgresBackend } from '../../src/postgres/index.js';
import { openStore, type Store } from '../../src/store/store.js';

const dev: Role = { kind: 'role', name: 'dev', options: { max_session_ttl: '8h' } };
const T0 = new Date('2025-03-01T12:00:00Z');

interface Harness {
  /** A fresh, empty store location; `open()` returns another process's view of it. */
  fresh(t: { after(fn: () => Promise<void>): void }): Promise<{ open(): Promise<Store> }>;
  /** How fast the fallback re-read runs in watch tests: PostgreSQL must not need it. */
  readonly watchIntervalMs: number;
}

let pg: Postgres;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

const harnesses: Record<string, Harness> = {
  file: {
    watchIntervalMs: 50,
    async fresh(t) {
      const dataDir = await mkdtemp(join(tmpdir(), 'gh-contract-'));
      t.after(() => rm(dataDir, { recursive: true, force: true }));
      return { open: () => openStore({ dataDir }) };
    },
  },
  postgres: {
    // Far longer than any test: a change seen in time came through LISTEN/NOTIFY.
    watchIntervalMs: 600_000,
    async fresh() {
      const url = await pg.createDatabase('store');
      return { open: async () => openStore({ dataDir: '', backend: await openPostgresBackend({ url }) }) };
    },
  },
};

async function twoStores(h: Harness, t: { after(fn: () => Promise<void>): void }): Promise<[Store, Store]> {
  const location = await h.fresh(t);
  const a = await location.open();
  const b = await location.open();
  t.after(async () => {
    await a.close();
    await b.close();
  });
  await a.putRole(dev);
  return [a, b];
}

for (const [name, h] of Object.entries(harnesses)) {
  describe(`store contract (${name})`, () => {
    test('users written by one process are read by another; updates and removal', async (t) => {
      const [a, b] = await twoStores(h, t);
      await a.addUser({ name: 'bob', roles: ['dev'] }, T0);
      await a.addUser({ name: 'alice', roles: ['dev'], traits: { db_users: ['alice'] } }, T0);
      assert.deepEqual(
        (await b.listUsers()).map((u) => u.name),
        ['alice', 'bob'],
      );
      const updated = await b.updateUser('alice', { traits: { db_names: ['app'] } }, new Date(T0.getTime() + 1000));
      assert.deepEqual(updated.traits, { db_users: ['alice'], db_names: ['app'] });
      assert.deepEqual((await a.getUser('alice'))?.traits, updated.traits);
      await a.removeUser('bob');
      assert.equal(await b.getUser('bob'), undefined);
      await assert.rejects(b.removeUser('bob'), { code: 'GH_ERR_STORE_NOT_FOUND' });
      await assert.rejects(a.addUser({ name: 'carol', roles: ['nope'] }), { code: 'GH_ERR_UNKNOWN_ROLE' });
    });

    test('two processes adding the same user at once: one wins, the others get a clear error', async (t) => {
      const [a, b] = await twoStores(h, t);
      const results = await Promise.allSettled(
        [a, b, a, b, a, b].map((s, i) => s.addUser({ name: 'dup', roles: ['dev'], traits: { db_users: [`u${i}`] } })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      for (const r of lost) {
        assert.equal(r.reason.code, 'GH_ERR_STORE_EXISTS');
        assert.match(r.reason.message, /user 'dup' already exists/);
      }
      const stored = await a.getUser('dup');
      assert.deepEqual(stored?.traits, (won[0] as PromiseFulfilledResult<{ traits: unknown }>).value.traits);
    });

    test('a role in use cannot be removed; replace needs the flag', async (t) => {
      const [a, b] = await twoStores(h, t);
      await assert.rejects(b.putRole(dev), { code: 'GH_ERR_STORE_EXISTS' });
      await b.putRole({ ...dev, options: { max_session_ttl: '1h' } }, { replace: true });
      assert.equal((await a.getRole('dev'))?.options?.max_session_ttl, '1h');
      await a.addUser({ name: 'alice', roles: ['dev'] });
      await assert.rejects(b.removeRole('dev'), { code: 'GH_ERR_STORE_CONFLICT', message: /still used by alice/ });
      await a.removeUser('alice');
      await b.removeRole('dev');
      assert.deepEqual(await a.listRoles(), []);
    });

    test('a token redeemed by several processes at once works exactly once', async (t) => {
      const [a, b] = await twoStores(h, t);
      const token = await a.createToken({ type: 'engine', ttlMs: 60_000 });
      const results = await Promise.allSettled([a, b, a, b].map((s) => s.consumeToken(token.secret)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.code, 'GH_ERR_TOKEN_INVALID');
      assert.deepEqual(await b.listTokens(), []);
      const old = await a.createToken({ type: 'engine', ttlMs: 1000 }, T0);
      await assert.rejects(b.consumeToken(old.secret), { code: 'GH_ERR_TOKEN_EXPIRED' });
    });

    test('locks are seen by every process, expire, and are lifted', async (t) => {
      const [a, b] = await twoStores(h, t);
      await a.addUser({ name: 'alice', roles: ['dev'] });
      await a.lockUser({ user: 'alice', message: 'incident 42', ttlMs: 60_000 }, T0);
      assert.equal((await b.isLocked('alice', T0))?.message, 'incident 42');
      assert.equal(await b.isLocked('alice', new Date(T0.getTime() + 61_000)), undefined);
      assert.equal(await b.unlockUser('alice'), true);
      assert.equal(await a.isLocked('alice', T0), undefined);
      assert.equal(await a.unlockUser('alice'), false);
    });

    test('compare-and-swap: a stale revision loses, a removed record is reported gone', async (t) => {
      const [a, b] = await twoStores(h, t);
      const first = await a.backend.put('locks', 'x', { n: 1 });
      await b.backend.put('locks', 'x', { n: 2 }, first.revision);
      await assert.rejects(a.backend.put('locks', 'x', { n: 3 }, first.revision), { code: 'GH_ERR_STORE_CONFLICT' });
      await assert.rejects(a.backend.delete('locks', 'x', first.revision), { code: 'GH_ERR_STORE_CONFLICT' });
      assert.deepEqual((await a.backend.get('locks', 'x'))?.value, { n: 2 });
      await b.backend.delete('locks', 'x');
      await assert.rejects(a.backend.put('locks', 'x', { n: 4 }, first.revision), { code: 'GH_ERR_STORE_NOT_FOUND' });
    });

    test("a change made by one process reaches the other's watch", async (t) => {
      const [a, b] = await twoStores(h, t);
      const since = await b.version();
      let seen = false;
      const w = b.watch(
        () => {
          seen = true;
        },
        { since, intervalMs: h.watchIntervalMs },
      );
      t.after(() => w.close());
      await a.addUser({ name: 'alice', roles: ['dev'] });
      const deadline = Date.now() + 10_000;
      while (!seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen, 'the watch fired');
      assert.notEqual(await b.version(), since);
      assert.equal((await b.getUser('alice'))?.name, 'alice');
    });
  });
}

describe('store on PostgreSQL: schema', () => {
  test('concurrent first starts migrate once; a newer schema is refused with a clear message', async () => {
    const url = await pg.createDatabase('schema');
    const backends = await Promise.all([1, 2, 3].map(() => openPostgresBackend({ url })));
    await Promise.all(backends.map((b) => b.close()));
    const db = new URL(url).pathname.slice(1);
    const versions = (await pg.sql('SELECT version FROM gh_schema ORDER BY version', db)).trim().split('\n');
    assert.equal(new Set(versions).size, versions.length);
    await pg.sql("INSERT INTO gh_schema (version, name) VALUES (9999, 'from the future')", db);
    await assert.rejects(openPostgresBackend({ url }), {
      code: 'GH_ERR_STORE_SCHEMA_NEWER',
      message: /schema is at version 9999, newer than this Gatehouse knows/,
    });
  });

  test('an unreachable server is a store error that names where, without the password', async () => {
    const url = `postgres://gh:secret-pw@127.0.0.1:1/none`;
    await assert.rejects(openPostgresBackend({ url }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'GH_ERR_STORE_IO');
      assert.ok(!err.message.includes('secret-pw'), err.message);
      return true;
    });
  });
});
