// An engine in another process joins through the proxy's /v1/join with a token and the host CA
// pin, then renews over mTLS; reused, expired and wrongly pinned joins are refused.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { joinCluster, loadHostCredentials, renewHostCredentials } from '@gatehouse/engine';
import { startAuthProxy } from './support/auth-proxy.js';

async function startCluster(t: { after(fn: () => unknown): void }) {
  return startAuthProxy(t, 'proxy-join');
}

test('an engine joins with a token and the CA pin, gets a host certificate, and renews it over mTLS', async (t) => {
  const cluster = await startCluster(t);
  const { secret } = await cluster.store.createToken({ type: 'engine', ttlMs: 60_000 });
  const engineDir = join(cluster.dir, 'engine');
  const joined = await joinCluster({
    proxyAddr: cluster.proxyAddr,
    token: secret,
    caPin: cluster.pin,
    engineId: 'engine-7',
    dir: engineDir,
  });

  const cert = new X509Certificate(joined.cert);
  assert.match(cert.subject, /CN=engine-7/);
  assert.ok(
    cert.checkIssued(new X509Certificate(cluster.authorities.list('host')[0]!.certificate)),
    'signed by the host CA',
  );
  assert.ok(cert.publicKey.equals(createPublicKey(joined.key)), 'the certificate is for the key the engine made');
  assert.equal((await stat(join(engineDir, 'host.key'))).mode & 0o777, 0o600);
  assert.deepEqual(await loadHostCredentials(engineDir), joined);

  // The token is single use.
  await assert.rejects(
    joinCluster({
      proxyAddr: cluster.proxyAddr,
      token: secret,
      caPin: cluster.pin,
      engineId: 'engine-8',
      dir: join(cluster.dir, 'e8'),
    }),
    (err: { code?: string; message: string }) =>
      err.code === 'GH_ERR_JOIN_FAILED' && /unknown or was already used/.test(err.message),
  );

  const renewed = await renewHostCredentials(cluster.proxyAddr, engineDir, joined);
  assert.notEqual(renewed.cert, joined.cert);
  assert.match(new X509Certificate(renewed.cert).subject, /CN=engine-7/);
  assert.equal(await readFile(join(engineDir, 'host.crt'), 'utf8'), renewed.cert);
});

test('join refuses an expired token, and the engine refuses a proxy whose CA does not match the pin', async (t) => {
  const cluster = await startCluster(t);
  const expired = await cluster.store.createToken({ type: 'engine', ttlMs: 1000 }, new Date(Date.now() - 60_000));
  await assert.rejects(
    joinCluster({
      proxyAddr: cluster.proxyAddr,
      token: expired.secret,
      caPin: cluster.pin,
      engineId: 'engine-1',
      dir: join(cluster.dir, 'e1'),
    }),
    (err: { message: string }) => /expired at/.test(err.message),
  );

  const fresh = await cluster.store.createToken({ type: 'engine', ttlMs: 60_000 });
  const wrongPin = `sha256:${'0'.repeat(64)}`;
  await assert.rejects(
    joinCluster({
      proxyAddr: cluster.proxyAddr,
      token: fresh.secret,
      caPin: wrongPin,
      engineId: 'engine-2',
      dir: join(cluster.dir, 'e2'),
    }),
    (err: { code?: string }) => err.code === 'GH_ERR_JOIN_PIN',
  );
  // The token never left the engine, so it still works with the right pin.
  const joined = await joinCluster({
    proxyAddr: cluster.proxyAddr,
    token: fresh.secret,
    caPin: cluster.pin,
    engineId: 'engine-2',
    dir: join(cluster.dir, 'e2'),
  });
  assert.match(new X509Certificate(joined.cert).subject, /CN=engine-2/);
});
