import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type RegistrySnapshot, writeRegistrySnapshot } from '../../src/service/registry-snapshot.js';
import { gatectlAt, makeTempDir } from '../gatectl-child.js';

type Engines = NonNullable<RegistrySnapshot['engines']>;
function connected(
  engineId: string,
  state: 'serving' | 'draining',
  sessions: number,
  address: string,
): Engines[number] {
  return { engineId, addresses: [address], state, databases: ['orders'], sessions, tunnels: 1, version: '0.1.0' };
}

/** Live proxies rewrite these every two seconds; the test writes them right before each run. */
async function writeSnapshots(dataDir: string, views: Record<string, Engines>): Promise<void> {
  for (const [fileId, engines] of Object.entries(views)) {
    await writeRegistrySnapshot(
      dataDir,
      { proxyId: fileId.split('.')[0]!, pid: 1, updatedAt: new Date().toISOString(), databases: [], engines },
      fileId,
    );
  }
}

test('engine ls merges every proxy view: one row per engine, sessions summed, draining if any proxy says so', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-engine-cmd-');
  await writeSnapshots(dataDir, {
    p1: [connected('a', 'serving', 2, '10.0.0.5'), connected('b', 'serving', 1, '10.0.0.6')],
    // p2 runs session workers: each wrote its own file under the same proxy id.
    'p2.w0': [connected('a', 'draining', 3, '10.0.0.5')],
    'p2.w1': [connected('a', 'serving', 4, '10.0.0.5')],
  });
  const json = await gatectlAt(dataDir, ['engine', 'ls', '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as Array<{
    id: string;
    state: string;
    sessions: number;
    databases: string[];
    proxies: Array<{ proxyId: string; sessions: number; state: string }>;
  }>;
  assert.deepEqual(
    rows.map((r) => [r.id, r.state, r.sessions]),
    [
      ['a', 'draining', 9],
      ['b', 'serving', 1],
    ],
  );
  assert.deepEqual(
    rows[0]!.proxies.map((p) => [p.proxyId, p.state, p.sessions]),
    [
      ['p1', 'serving', 2],
      ['p2', 'draining', 7],
    ],
  );
  await writeSnapshots(dataDir, { p1: [connected('a', 'serving', 2, '10.0.0.5')] });
  const table = await gatectlAt(dataDir, ['engine', 'ls']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID\s+STATE\s+SESSIONS\s+DATABASES\s+PROXY\s+ADDRESS$/);
  assert.ok(
    lines.some((l) => /^a\s+draining\s+9\s+orders\s+p1,p2\s+10\.0\.0\.5$/.test(l)),
    table.stdout,
  );
});

test('engine ls with no proxy running prints the header and says where it looked', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-engine-cmd-');
  const r = await gatectlAt(dataDir, ['engine', 'ls']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ID\s+STATE/);
  assert.match(r.stderr, /no engines connected/);
});

test('engine drain of an unknown id is a CLI error naming the engines there are, and stores nothing', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-engine-cmd-');
  await writeSnapshots(dataDir, { p1: [connected('a', 'serving', 0, '10.0.0.5')] });
  const r = await gatectlAt(dataDir, ['engine', 'drain', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no engine 'nope' is connected to a proxy \(engines: a\)/);
  assert.throws(() => readFileSync(join(dataDir, 'state', 'engine_drains', 'nope.json')));
  const usage = await gatectlAt(dataDir, ['engine', 'drain']);
  assert.equal(usage.code, 2);
});

test('engine drain stores a request for the engine; draining an engine that already drains is harmless', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-engine-cmd-');
  await writeSnapshots(dataDir, { p1: [connected('a', 'serving', 0, '10.0.0.5')] });
  const r = await gatectlAt(dataDir, ['engine', 'drain', 'a', '--reason', 'kernel upgrade', '--wait', '0', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { engine: string; request_id: string; state: string };
  assert.equal(out.engine, 'a');
  assert.equal(out.state, 'requested');
  const stored = JSON.parse(readFileSync(join(dataDir, 'state', 'engine_drains', 'a.json'), 'utf8')) as {
    name: string;
    id: string;
    reason: string;
    by: string;
  };
  assert.equal(stored.name, 'a');
  assert.equal(stored.id, out.request_id);
  assert.equal(stored.reason, 'kernel upgrade');
  assert.match(stored.by, /.@./);

  await writeSnapshots(dataDir, { p1: [connected('a', 'draining', 0, '10.0.0.5')] });
  const again = await gatectlAt(dataDir, ['engine', 'drain', 'a']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'engine a is already draining\n');
});

test('engine drain waits for a proxy to report the engine draining, and fails saying so when none does', async (t) => {
  const dataDir = await makeTempDir(t, 'gatehouse-engine-cmd-');
  await writeSnapshots(dataDir, { p1: [connected('a', 'serving', 0, '10.0.0.5')] });
  const r = await gatectlAt(dataDir, ['engine', 'drain', 'a', '--wait', '1s']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no proxy reported it draining within 1s/);
});
