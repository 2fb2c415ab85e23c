import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { writeRegistrySnapshot } from '../../src/service/registry-snapshot.js';

const gatectl = fileURLToPath(new URL('../../../bin/gatectl.js', import.meta.url));

function run(dataDir: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [gatectl, '--data-dir', dataDir, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function engine(engineId: string, health: 'healthy' | 'unhealthy' | 'unknown', tls?: string) {
  return { engineId, health, serverVersion: '5.5.5-10.11.19-MariaDB', labels: { env: 'dev' }, ...(tls ? { tls } : {}) };
}

test('db ls merges what every live proxy reports, one row per database', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-dbls-'));
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
  const json = run(dataDir, ['db', 'ls', '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as Array<{ name: string; health: string; tls: string; engines: Array<{ engineId: string }> }>;
  assert.deepEqual(
    rows.map((r) => [r.name, r.health, r.tls, r.engines.map((e) => e.engineId).sort()]),
    [
      ['billing', 'unknown', '', ['e3']],
      ['orders', 'healthy', 'TLSv1.3 TLS_AES_256_GCM_SHA384', ['e1', 'e2']],
    ],
  );
  const table = run(dataDir, ['db', 'ls']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^NAME\s+HEALTH\s+VERSION\s+TLS\s+ENGINES\s+LABELS/);
  assert.match(table.stdout, /orders\s+healthy\s+5\.5\.5-10\.11\.19-MariaDB\s+TLSv1\.3 TLS_AES_256_GCM_SHA384\s+e1,e2\s+env=dev/);
  assert.match(table.stdout, /billing\s+unknown\s+5\.5\.5-10\.11\.19-MariaDB\s+-\s+e3/);
});

test('db ls ignores a proxy that stopped updating its snapshot, and says when nothing is registered', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-dbls-'));
  await writeRegistrySnapshot(dataDir, {
    proxyId: 'gone',
    pid: 3,
    updatedAt: new Date(Date.now() - 60_000).toISOString(),
    databases: [{ name: 'orders', engines: [engine('e1', 'healthy')] }],
  });
  const r = run(dataDir, ['db', 'ls']);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout, /orders/);
  assert.match(r.stderr, /no databases registered/);
});
