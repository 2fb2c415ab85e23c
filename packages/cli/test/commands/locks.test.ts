import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '@gatehouse/auth';
import { createDataDir } from '../gatectl-child.js';

async function withUsers(t: Parameters<typeof createDataDir>[0]) {
  const env = await createDataDir(t);
  const file = join(env.dir, 'role.yaml');
  await writeFile(file, 'kind: role\nname: dev\n');
  assert.equal((await env.gatectl('roles', 'create', '-f', file)).code, 0);
  for (const user of ['alice', 'bob'])
    assert.equal((await env.gatectl('users', 'add', user, '--roles', 'dev')).code, 0);
  return env;
}

test('gatectl lock / locks ls / unlock', async (t) => {
  const { dir, gatectl } = await withUsers(t);
  const lock = await gatectl('lock', '--user', 'alice', '--ttl', '1h', '--message', 'incident 42');
  assert.equal(lock.code, 0, lock.stderr);
  assert.match(lock.stdout, /^user 'alice' locked until \d{4}-\d\d-\d\dT/);
  const forever = await gatectl('lock', '--user', 'bob', '--format', 'json');
  assert.equal((JSON.parse(forever.stdout) as { expires?: string }).expires, undefined);

  const ls = await gatectl('locks', 'ls');
  const lines = ls.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^USER\s+EXPIRES\s+CREATED\s+MESSAGE$/);
  assert.match(lines[1]!, /^alice\s+\S+\s+\S+\s+incident 42$/);
  assert.match(lines[2]!, /^bob\s+never\s+\S+\s+user 'bob' is locked by an administrator$/);

  // What the proxy and engine read.
  const store = await openStore({ dataDir: join(dir, 'data') });
  assert.equal((await store.isLocked('alice'))?.message, 'incident 42');
  assert.equal(await store.isLocked('alice', new Date(Date.now() + 2 * 3_600_000)), undefined, 'the lock expires');

  const unlock = await gatectl('unlock', '--user', 'alice');
  assert.equal(unlock.stdout, "user 'alice' unlocked\n");
  assert.equal(await store.isLocked('alice'), undefined);
  const json = JSON.parse((await gatectl('locks', 'ls', '--format', 'json')).stdout) as Array<{
    target: { user: string };
  }>;
  assert.deepEqual(
    json.map((l) => l.target.user),
    ['bob'],
  );
});

test('gatectl lock / unlock: unknown users, missing locks and usage errors', async (t) => {
  const { gatectl } = await withUsers(t);
  const ghost = await gatectl('lock', '--user', 'ghost');
  assert.equal(ghost.code, 1);
  assert.equal(ghost.stderr, "gatectl: user 'ghost' does not exist\n");
  const notLocked = await gatectl('unlock', '--user', 'alice');
  assert.equal(notLocked.code, 1);
  assert.equal(notLocked.stderr, "gatectl: user 'alice' is not locked\n");
  for (const [args, message] of [
    [['lock'], /--user is required/],
    [['unlock'], /--user is required/],
    [['lock', '--user', 'alice', '--ttl', 'forever'], /--ttl: invalid duration 'forever'/],
    [['lock', 'alice'], /unexpected argument 'alice'/],
  ] as Array<[string[], RegExp]>) {
    const r = await gatectl(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
