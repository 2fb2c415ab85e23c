import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isGatehouseError, verifyIdentity } from '@gatehouse/common';
import { CA_TYPES, ensureAuthorities, initAuthorities, issueUserCert, openAuthorities } from '../../src/index.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const route = { dbService: 'orders', dbUsers: ['app_ro'], dbNames: ['shop'] };

test('ca init makes three ECDSA CAs with private keys at 0600 in 0700 directories, and is idempotent', async (t) => {
  const dir = await tempDir(t);
  const first = await initAuthorities(dir);
  assert.deepEqual(first.created, [...CA_TYPES]);
  for (const type of CA_TYPES) {
    const [ca] = first.authorities.list(type);
    assert.equal(ca!.algorithm, 'ecdsa-p256');
    assert.match(ca!.subject, new RegExp(`CN=Gatehouse ${type} CA`));
    const caDir = join(dir, 'ca', type);
    assert.equal((await stat(caDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(caDir, `${ca!.id}.key`))).mode & 0o777, 0o600);
  }
  const again = await initAuthorities(dir, { algorithm: 'rsa-2048' });
  assert.deepEqual(again.created, []);
  assert.equal(again.authorities.list('user')[0]!.fingerprint, first.authorities.list('user')[0]!.fingerprint);
});

test('concurrent inits agree on one set of CAs', async (t) => {
  const dir = await tempDir(t);
  const [a, b] = await Promise.all([initAuthorities(dir), initAuthorities(dir)]);
  for (const type of CA_TYPES)
    assert.equal(a.authorities.list(type)[0]!.fingerprint, b.authorities.list(type)[0]!.fingerprint);
  assert.equal(a.created.length + b.created.length, 3);
});

test("concurrent rotations from two processes' views both land: the CA directory lock serialises them", async (t) => {
  const dir = await tempDir(t);
  await initAuthorities(dir);
  const [a, b] = await Promise.all([openAuthorities(dir), openAuthorities(dir)]);
  const [fromA, fromB] = await Promise.all([
    a.rotate('user', { graceMs: 3_600_000 }),
    b.rotate('user', { graceMs: 3_600_000 }),
  ]);
  const generations = (await openAuthorities(dir)).list('user');
  assert.equal(generations.length, 3, 'the first CA and one new generation per rotation');
  assert.deepEqual(new Set(generations.slice(0, 2).map((r) => r.id)), new Set([fromA.id, fromB.id]));
  assert.equal(generations.filter((r) => r.active).length, 1);
});

test('the rsa-2048 option makes RSA CAs that sign working user certs', async (t) => {
  const dir = await tempDir(t);
  const auth = await ensureAuthorities(dir, { algorithm: 'rsa-2048' });
  assert.equal(auth.list('host')[0]!.algorithm, 'rsa-2048');
  const issued = await issueUserCert(await auth.signer('user'), { user: 'bob', roles: ['dev'], ...route });
  assert.equal(issued.keyAlgorithm, 'rsa-2048');
  const id = await verifyIdentity([new Uint8Array(issued.cert.rawData)], { trusted: auth.trustedCas('user') });
  assert.equal(id.user, 'bob');
});

test('opening a data dir without CAs says to run ca init', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    openAuthorities(dir),
    (err) => isGatehouseError(err, 'GH_ERR_CA_NOT_INITIALIZED') && /gatectl ca init/.test(err.message),
  );
});

test('rotation with a fake clock: the old CA is trusted during the grace period, refused after', async (t) => {
  const dir = await tempDir(t);
  const t0 = new Date('2026-04-01T00:00:00.000Z');
  const auth = await ensureAuthorities(dir, { now: t0 });
  const oldSigner = await auth.signer('user');
  const old = await issueUserCert(oldSigner, { user: 'alice', roles: ['dev'], ...route, now: t0 });
  const chain = [new Uint8Array(old.cert.rawData)];

  const next = await auth.rotate('user', { graceMs: 3_600_000, now: t0 });
  assert.notEqual(next.fingerprint, oldSigner.record.fingerprint);
  assert.equal((await auth.signer('user')).record.id, next.id);
  const fresh = await issueUserCert(await auth.signer('user'), { user: 'alice', roles: ['dev'], ...route, now: t0 });
  assert.equal(fresh.cert.issuer, next.subject);

  const during = new Date(t0.getTime() + 30 * 60_000);
  const after = new Date(t0.getTime() + 61 * 60_000);
  // A fresh process sees the same trust window from the files.
  const reopened = await openAuthorities(dir);
  assert.equal(reopened.trustedCas('user', during).length, 2);
  assert.equal(reopened.trustedCas('user', after).length, 1);
  assert.equal(
    (await verifyIdentity(chain, { trusted: reopened.trustedCas('user', during), now: during })).user,
    'alice',
  );
  await assert.rejects(verifyIdentity(chain, { trusted: reopened.trustedCas('user', after), now: after }), (err) =>
    isGatehouseError(err, 'GH_ERR_CERT_UNKNOWN_CA'),
  );
  // The new CA's certs verify after the grace period.
  assert.equal(
    (
      await verifyIdentity([new Uint8Array(fresh.cert.rawData)], {
        trusted: reopened.trustedCas('user', after),
        now: after,
      })
    ).user,
    'alice',
  );
  // Exported bundles follow the same window.
  assert.equal(reopened.exportPem('user', during).match(/BEGIN CERTIFICATE/g)?.length, 2);
  assert.equal(reopened.exportPem('user', after).match(/BEGIN CERTIFICATE/g)?.length, 1);
});

test('a broken private key file is reported by path, never by content', async (t) => {
  const dir = await tempDir(t);
  const auth = await ensureAuthorities(dir);
  const id = auth.list('db-client')[0]!.id;
  const keyFile = join(dir, 'ca', 'db-client', `${id}.key`);
  const secret = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg-not-a-real-key';
  await writeFile(keyFile, `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`);
  const reopened = await openAuthorities(dir);
  await assert.rejects(reopened.signer('db-client'), (err: unknown) => {
    assert.ok(isGatehouseError(err, 'GH_ERR_CA_STORAGE'));
    assert.match(err.message, /cannot load the db-client CA private key/);
    assert.equal(err.message.includes(secret.slice(0, 20)), false);
    assert.equal(err.cause, undefined);
    return true;
  });
});

test('a corrupt state file is GH_ERR_CA_STORAGE naming the file', async (t) => {
  const dir = await tempDir(t);
  await ensureAuthorities(dir);
  await writeFile(join(dir, 'ca', 'host', 'state.json'), '{"version":1,"type":"host"}');
  await assert.rejects(
    openAuthorities(dir),
    (err) => isGatehouseError(err, 'GH_ERR_CA_STORAGE') && /host.state\.json is invalid/.test(err.message),
  );
});
