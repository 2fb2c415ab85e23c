import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeRegistrySnapshot } from '../../src/service/registry-snapshot.js';
import { gatectlAt, makeTempDir } from '../gatectl-child.js';

function engine(engineId: string, health: 'healthy' | 'unhealthy' | 'unknown', tls?: string) {
  return { engineId, health, serverVersion: '5.5.5-10.11.19-MariaDB', labels: { env: 'dev' }, ...(tls ? { tls } : {}) };
}

test('db ls merges what every live proxy reports, one row per database', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-dbls-');
  // Live proxies rewrite their snapshots every few seconds; so does this test, right before each
  // gatectl run, so a slow machine can't make them look stale (SNAPSHOT_STALE_MS) in between.
  const refresh = async (): Promise<void> => {
    const now = new Date().toISOString();
    await writeRegistrySnapshot(dataDir, {
      proxyId: 'p1',
      pid: 1,
      updatedAt: now,
      databases: [{ name: 'orders', engines: [engine('e1', 'unhealthy')] }],
    });
    await writeRegistrySnapshot(dataDir, {
      proxyId: 'p2',
      pid: 2,
      updatedAt: now,
      databases: [
        { name: 'orders', engines: [engine('e2', 'healthy', 'TLSv1.3 TLS_AES_256_GCM_SHA384')] },
        { name: 'billing', engines: [engine('e3', 'unknown')] },
      ],
    });
  };
  await refresh();
  const json = await gatectlAt(dataDir, ['db', 'ls', '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as Array<{
    name: string;
    health: string;
    tls: string;
    engines: Array<{ engineId: string }>;
  }>;
  assert.deepEqual(
    rows.map((r) => [r.name, r.health, r.tls, r.engines.map((e) => e.engineId).sort()]),
    [
      ['billing', 'unknown', '', ['e3']],
      ['orders', 'healthy', 'TLSv1.3 TLS_AES_256_GCM_SHA384', ['e1', 'e2']],
    ],
  );
  await refresh();
  const table = await gatectlAt(dataDir, ['db', 'ls']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^NAME\s+HEALTH\s+VERSION\s+TLS\s+ENGINES\s+LABELS/);
  assert.match(
    table.stdout,
    /orders\s+healthy\s+5\.5\.5-10\.11\.19-MariaDB\s+TLSv1\.3 TLS_AES_256_GCM_SHA384\s+e1,e2\s+env=dev/,
  );
  assert.match(table.stdout, /billing\s+unknown\s+5\.5\.5-10\.11\.19-MariaDB\s+-\s+e3/);
});

test('db ls ignores a proxy that stopped updating its snapshot, and says when nothing is registered', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-dbls-');
  await writeRegistrySnapshot(dataDir, {
    proxyId: 'gone',
    pid: 3,
    updatedAt: new Date(Date.now() - 60_000).toISOString(),
    databases: [{ name: 'orders', engines: [engine('e1', 'healthy')] }],
  });
  const r = await gatectlAt(dataDir, ['db', 'ls']);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout, /orders/);
  assert.match(r.stderr, /no databases registered/);
});

test('db ls lists each backend of a cluster with its role, health, lag and version', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-dbls-');
  const backend = (
    uri: string,
    role: 'primary' | 'replica',
    lagSeconds: number | null | undefined,
    health: 'healthy' | 'unhealthy' = 'healthy',
  ) => ({
    uri,
    role,
    health,
    serverVersion: '5.5.5-10.11.19-MariaDB',
    weight: 1,
    ...(lagSeconds !== undefined ? { lagSeconds } : {}),
  });
  // Rewritten before each gatectl run, as a live proxy would, so a slow run can't make it stale.
  const refresh = () =>
    writeRegistrySnapshot(dataDir, {
      proxyId: 'p1',
      pid: 1,
      updatedAt: new Date().toISOString(),
      databases: [
        {
          name: 'shop',
          engines: [
            {
              ...engine('e1', 'healthy'),
              backends: [
                backend('db1:3306', 'primary', undefined),
                backend('db2:3306', 'replica', 3),
                backend('db3:3306', 'replica', null),
              ],
            },
          ],
        },
      ],
    });
  await refresh();
  const table = await gatectlAt(dataDir, ['db', 'ls']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+HEALTH\s+VERSION\s+TLS\s+ENGINES\s+LABELS/);
  assert.match(table.stdout, /\nDATABASE\s+BACKEND\s+ROLE\s+HEALTH\s+LAG\s+VERSION\s+ENGINE\n/);
  assert.match(table.stdout, /shop\s+db1:3306\s+primary\s+healthy\s+-\s+5\.5\.5-10\.11\.19-MariaDB\s+e1/);
  assert.match(table.stdout, /shop\s+db2:3306\s+replica\s+healthy\s+3s\s/);
  assert.match(table.stdout, /shop\s+db3:3306\s+replica\s+healthy\s+stopped\s/);
  await refresh();
  const json = JSON.parse((await gatectlAt(dataDir, ['db', 'ls', '--format', 'json'])).stdout) as Array<{
    backends: Array<{ uri: string; lagSeconds?: number | null }>;
  }>;
  assert.deepEqual(
    json[0]?.backends.map((b) => [b.uri, b.lagSeconds]),
    [
      ['db1:3306', undefined],
      ['db2:3306', 3],
      ['db3:3306', null],
    ],
  );
});

test('db ls of one-server databases without a monitor login keeps the single table', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-dbls-');
  const unknown = { uri: 'db1:3306', role: 'unknown', health: 'healthy', serverVersion: 'v', weight: 1 };
  await writeRegistrySnapshot(dataDir, {
    proxyId: 'p1',
    pid: 1,
    updatedAt: new Date().toISOString(),
    databases: [{ name: 'orders', engines: [{ ...engine('e1', 'healthy'), backends: [unknown] }] }],
  });
  const table = await gatectlAt(dataDir, ['db', 'ls']);
  assert.equal(table.code, 0);
  assert.doesNotMatch(table.stdout, /BACKEND/);
});
