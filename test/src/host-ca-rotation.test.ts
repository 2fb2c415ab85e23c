// `gatectl ca rotate --type host` while the proxy runs: the tunnel's trust follows the rotation
// without a restart. An engine that joins afterwards (certificate from the new CA) connects; an
// engine still holding a certificate from the old CA keeps its tunnel and may dial a new one
// during the grace period.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { computeCaPin, openAuthorities } from '@gatehouse/auth';
import { createLogger } from '@gatehouse/common';
import { createTunnelClient, type HostCredentials, joinCluster, type TunnelClient } from '@gatehouse/engine';
import { waitFor } from '@gatehouse/testing';
import { startAuthProxy } from './support/auth-proxy.js';

const log = createLogger({ level: process.env.GH_TEST_LOG ?? 'silent' });

test('after a host CA rotation, a newly joined engine gets a tunnel and an old-CA engine keeps working, with no proxy restart', async (t) => {
  const { dir, authorities, store, proxy, proxyAddr } = await startAuthProxy(t, 'proxy-rotate');

  const joinEngine = async (engineId: string): Promise<HostCredentials> => {
    const { secret } = await store.createToken({ type: 'engine', ttlMs: 60_000 });
    // The pin `gatectl tokens add` prints: the active host CA's, read from disk as gatectl does.
    const pin = computeCaPin((await openAuthorities(dir)).list('host')[0]!.certificate);
    return joinCluster({ proxyAddr, token: secret, caPin: pin, engineId, dir: join(dir, engineId) });
  };
  const dial = (engineId: string, credentials: HostCredentials, ca: string = credentials.ca): TunnelClient => {
    const client = createTunnelClient({
      url: `wss://${proxyAddr}/v1/tunnel`,
      getCredentials: () => ({ cert: credentials.cert, key: credentials.key, ca }),
      engineId,
      version: 'test',
      databases: [],
      onStream: (incoming) => incoming.reject({ code: 'GH_ERR_ENGINE_NO_SUCH_DATABASE', message: 'none' }),
      log,
    });
    client.start();
    t.after(() => client.close());
    return client;
  };
  const registered = (engineId: string) =>
    waitFor(`${engineId} to register over the tunnel`, () =>
      proxy.tunnel.registry.engines().some((e) => e.engineId === engineId) ? true : undefined,
    );

  const oldCa = authorities.list('host')[0]!;
  const before = await joinEngine('engine-old');
  assert.ok(new X509Certificate(before.cert).checkIssued(new X509Certificate(oldCa.certificate)));
  const oldTunnel = dial('engine-old', before);
  await registered('engine-old');

  // gatectl in another process: its own Authorities object writes the rotation to disk.
  const newCa = await (await openAuthorities(dir)).rotate('host', { graceMs: 60 * 60_000 });
  // The proxy notices on its periodic refresh (every 5 s by default); run one now.
  await proxy.credentials.refresh();

  const after = await joinEngine('engine-new');
  assert.ok(
    new X509Certificate(after.cert).checkIssued(new X509Certificate(newCa.certificate)),
    'the new engine holds a new-CA certificate',
  );
  dial('engine-new', after);
  await registered('engine-new');

  // The old engine's tunnel was never dropped, and a fresh tunnel with its old-CA certificate is
  // still let in during the grace period (given a trust bundle that covers the proxy's new cert).
  assert.equal(oldTunnel.state, 'connected');
  oldTunnel.close();
  await waitFor('engine-old to leave the registry', () =>
    proxy.tunnel.registry.engines().some((e) => e.engineId === 'engine-old') ? undefined : true,
  );
  dial('engine-old', before, `${before.ca}${newCa.certificate}`);
  await registered('engine-old');
});
