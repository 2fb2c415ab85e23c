import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireLockFile } from '../../src/files/lock-file.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('lock file: read-modify-write under the lock loses no update', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, '.lock');
  const counter = join(dir, 'counter');
  await writeFile(counter, '0');
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      const release = await acquireLockFile(lock);
      try {
        const n = Number(await readFile(counter, 'utf8'));
        await new Promise((resolve) => setImmediate(resolve));
        await writeFile(counter, String(n + 1));
      } finally {
        await release();
      }
    }),
  );
  assert.equal(await readFile(counter, 'utf8'), '25');
});

test('lock file: a lock left by a dead process on this host is broken', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, '.lock');
  const dead = spawnSync(process.execPath, ['-e', '']);
  assert.equal(dead.status, 0);
  await writeFile(lock, JSON.stringify({ pid: dead.pid, host: hostname(), nonce: 'dead', time: Date.now() }));
  const release = await acquireLockFile(lock, { timeoutMs: 2_000 });
  const owner = JSON.parse(await readFile(lock, 'utf8')) as { pid: number };
  assert.equal(owner.pid, process.pid);
  await release();
});

test('lock file: a lock older than staleMs is broken even if its owner looks alive', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, '.lock');
  await writeFile(
    lock,
    JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'old', time: Date.now() - 60_000 }),
  );
  const release = await acquireLockFile(lock, { timeoutMs: 2_000, staleMs: 30_000 });
  assert.notEqual(JSON.parse(await readFile(lock, 'utf8')).nonce, 'old');
  await release();
});

test('lock file: a live holder makes a waiter time out with GH_ERR_STORE_LOCK_TIMEOUT', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, '.lock');
  const release = await acquireLockFile(lock);
  t.after(release);
  await assert.rejects(acquireLockFile(lock, { timeoutMs: 100 }), { code: 'GH_ERR_STORE_LOCK_TIMEOUT' });
});
