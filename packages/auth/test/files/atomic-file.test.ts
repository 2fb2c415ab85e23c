import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFileAtomic, writeFileAtomic } from '../../src/files/atomic-file.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-atomic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('atomic write: a crash after the temp file is written leaves the old file intact', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'alice.json');
  await writeFileAtomic(path, 'old');
  const crash = new Error('simulated crash before rename');
  let tempSeen = '';
  await assert.rejects(
    writeFileAtomic(path, 'new', {
      beforeCommit: async (temp) => {
        tempSeen = await readFile(temp, 'utf8');
        throw crash;
      },
    }),
    (err) => err === crash,
  );
  assert.equal(tempSeen, 'new', 'the new bytes were fully written to the temp file');
  assert.equal(await readFile(path, 'utf8'), 'old');
  assert.deepEqual(await readdir(dir), ['alice.json'], 'the temp file is cleaned up');
});

test('atomic write: replaces the content and creates files with mode 0600', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.json');
  await writeFileAtomic(path, 'one');
  await writeFileAtomic(path, 'two');
  assert.equal(await readFile(path, 'utf8'), 'two');
  const { stat } = await import('node:fs/promises');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});

test('create only if absent: of 20 concurrent creators exactly one wins and its bytes are whole', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'token.json');
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => createFileAtomic(path, `writer-${i}`)));
  assert.equal(results.filter(Boolean).length, 1);
  const winner = results.indexOf(true);
  assert.equal(await readFile(path, 'utf8'), `writer-${winner}`);
  assert.deepEqual(await readdir(dir), ['token.json']);
});

test('create only if absent: returns false and keeps the existing file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.json');
  await writeFile(path, 'first');
  assert.equal(await createFileAtomic(path, 'second'), false);
  assert.equal(await readFile(path, 'utf8'), 'first');
});

test('atomic write: a writer process killed between write and rename leaves the old file; open sweeps its temp file', async (t) => {
  const dir = await tempDir(t);
  const { openStore } = await import('../../src/store/store.js');
  const store = await openStore({ dataDir: dir });
  await store.putRole({ kind: 'role', name: 'dev', options: { max_session_ttl: '8h' } });
  const modulePath = new URL('../../src/files/atomic-file.js', import.meta.url).href;
  const target = join(dir, 'state', 'roles', 'dev.json');
  // A real crash: the child SIGKILLs itself once the new bytes are durable in its temp file.
  const script = `
    const { writeFileAtomic } = await import(${JSON.stringify(modulePath)});
    await writeFileAtomic(${JSON.stringify(target)}, '{"kind":"role","name":"dev","options":{"max_session_ttl":"1h"}}', {
      beforeCommit: () => process.kill(process.pid, 'SIGKILL'),
    });`;
  const { spawnSync } = await import('node:child_process');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
  assert.equal(child.signal, 'SIGKILL');
  const leftovers = (await readdir(join(dir, 'state', 'roles'))).filter((f) => f.endsWith('.tmp'));
  assert.equal(leftovers.length, 1, 'the crashed writer left its temp file');
  assert.equal((await store.getRole('dev'))?.options?.max_session_ttl, '8h', 'readers still see the old role');
  assert.deepEqual(
    (await store.listRoles()).map((r) => r.name),
    ['dev'],
    'listings ignore the temp file',
  );
  await openStore({ dataDir: dir, file: { leftoverAgeMs: 0 } });
  assert.deepEqual(await readdir(join(dir, 'state', 'roles')), ['dev.json'], 'a later open sweeps it');
});
