// The CAs behave the same on files and on PostgreSQL; what only PostgreSQL needs (keys sealed
// with the storage encryption key) is checked at the end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyIdentity } from '@gatehouse/common';
import { type Postgres, startPostgres } from '@gatehouse/testing';
import { type ClusterState, issueUserCert, openClusterState } from '../../src/index.js';

let pg: Postgres;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

type Ctx = { after(fn: () => Promise<void>): void };
const KEY_ENV = 'GH_TEST_STORAGE_KEY';
const key = randomBytes(32).toString('hex');

/** Opens `n` processes' views of one fresh location. */
const backends: Record<string, (t: Ctx, n: number) => Promise<ClusterState[]>> = {
  file: async (t, n) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gh-ca-contract-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    return Promise.all(Array.from({ length: n }, () => openClusterState({ dataDir })));
  },
  postgres: async (t, n) => {
    const url = await pg.createDatabase('ca');
    const states = await Promise.all(
      Array.from({ length: n }, () =>
        openClusterState({
          dataDir: '',
          storage: { backend: 'postgres', url, encryption_key_env: KEY_ENV, max_connections: 4 },
          env: { [KEY_ENV]: key },
        }),
      ),
    );
    t.after(async () => {
      for (const s of states) await s.close();
    });
    return states;
  },
};

const route = { dbService: 'orders', dbUsers: ['app_ro'], dbNames: ['shop'] };

for (const [name, open] of Object.entries(backends)) {
  describe(`certificate authorities (${name})`, () => {
    test('concurrent inits agree on one set of CAs, and the signer issues verifiable certs', async (t) => {
      const [a, b] = await open(t, 2);
      const [ia, ib] = await Promise.all([a!.initAuthorities(), b!.initAuthorities()]);
      assert.equal(ia.created.length + ib.created.length, 3);
      for (const type of ['user', 'host', 'db-client'] as const) {
        assert.equal(ia.authorities.list(type)[0]!.fingerprint, ib.authorities.list(type)[0]!.fingerprint);
      }
      const issued = await issueUserCert(await ib.authorities.signer('user'), {
        user: 'bob',
        roles: ['dev'],
        ...route,
      });
      const id = await verifyIdentity([new Uint8Array(issued.cert.rawData)], {
        trusted: ia.authorities.trustedCas('user'),
      });
      assert.equal(id.user, 'bob');
    });

    test('two rotations from the same view: one wins, the other gets a clear conflict', async (t) => {
      const [a, b] = await open(t, 2);
      await a!.initAuthorities();
      const [va, vb] = await Promise.all([a!.openAuthorities(), b!.openAuthorities()]);
      const active = va.list('user')[0]!.id;
      const results = await Promise.allSettled([
        va.rotate('user', { graceMs: 3_600_000, expectActive: active }),
        vb.rotate('user', { graceMs: 3_600_000, expectActive: active }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.equal(lost[0]!.reason.code, 'GH_ERR_STORE_CONFLICT');
      assert.match(lost[0]!.reason.message, /the user CA was rotated by another process meanwhile/);
      const generations = (await b!.openAuthorities()).list('user');
      assert.equal(generations.length, 2);
      assert.equal(generations[1]!.id, active);
      assert.ok(generations[1]!.trustedUntil);
    });
  });
}

describe('certificate authorities on PostgreSQL: keys at rest', () => {
  test('the database holds no private key in clear, and another key cannot decrypt it', async () => {
    const url = await pg.createDatabase('cakeys');
    const storage = { backend: 'postgres' as const, url, encryption_key_env: KEY_ENV, max_connections: 2 };
    const state = await openClusterState({ dataDir: '', storage, env: { [KEY_ENV]: key } });
    const { authorities } = await state.initAuthorities();
    await authorities.signer('user');
    await state.close();
    const db = new URL(url).pathname.slice(1);
    const dump = await pg.sql("SELECT encode(key_ciphertext, 'escape') || certificate FROM gh_ca_generation", db);
    assert.match(dump, /BEGIN CERTIFICATE/);
    assert.doesNotMatch(dump, /PRIVATE KEY/);

    const wrong = await openClusterState({
      dataDir: '',
      storage,
      env: { [KEY_ENV]: randomBytes(32).toString('base64') },
    });
    const seen = await wrong.openAuthorities();
    await assert.rejects(seen.signer('user'), {
      code: 'GH_ERR_STORE_KEY',
      message: /cannot decrypt with this storage encryption key/,
    });
    await wrong.close();
    await assert.rejects(openClusterState({ dataDir: '', storage, env: {} }), {
      code: 'GH_ERR_STORE_KEY',
      message: /GH_TEST_STORAGE_KEY/,
    });
  });
});
