// Regression: several commands checked --format only when printing, after they had acted. A bad
// --format is now a usage error (exit 2) before any command runs, so nothing changes.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDataDir } from '../gatectl-child.js';

test('a bad --format exits 2 before any command acts', async (t) => {
  const { dir, gatectl } = await createDataDir(t);
  const refused = async (...args: string[]) => {
    const r = await gatectl(...args, '--format', 'yaml');
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--format must be table or json, not 'yaml'/);
    assert.equal(r.stdout, '');
  };
  const json = async (...args: string[]): Promise<unknown[]> => {
    const r = await gatectl(...args, '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as unknown[];
  };

  await refused('ca', 'init');
  const init = await gatectl('ca', 'init', '--format', 'json');
  assert.equal(init.code, 0, init.stderr);
  assert.ok(
    (JSON.parse(init.stdout) as Array<{ created_now: boolean }>).every((row) => row.created_now),
    'the refused ca init made no CA',
  );
  const cas = (await json('ca', 'ls')).length;
  await refused('ca', 'rotate', '--type', 'user', '--grace', '1h');
  assert.equal((await json('ca', 'ls')).length, cas);

  const roleFile = join(dir, 'role.yaml');
  await writeFile(roleFile, 'kind: role\nname: dev\nallow: { db_labels: { "*": "*" }, db_users: ["*"], db_names: ["*"] }\n');
  await refused('roles', 'create', '-f', roleFile);
  assert.deepEqual(await json('roles', 'ls'), []);
  assert.equal((await gatectl('roles', 'create', '-f', roleFile)).code, 0);
  await refused('roles', 'rm', 'dev');
  assert.equal((await json('roles', 'ls')).length, 1);

  await refused('users', 'add', 'bob', '--roles', 'dev');
  assert.deepEqual(await json('users', 'ls'), []);
  assert.equal((await gatectl('users', 'add', 'bob', '--roles', 'dev')).code, 0);
  await refused('users', 'update', 'bob', '--db-users', 'x');
  await refused('users', 'rm', 'bob');
  const [bob] = (await json('users', 'ls')) as Array<{ name: string; db_users?: unknown; dbUsers?: unknown }>;
  assert.equal(bob?.name, 'bob');
  assert.ok(!JSON.stringify(bob).includes('"x"'), 'the refused update changed nothing');

  await refused('tokens', 'add', '--type', 'engine');
  assert.deepEqual(await json('tokens', 'ls'), []);
  await refused('lock', '--user', 'bob');
  assert.deepEqual(await json('locks', 'ls'), []);

  // db probe no longer dials before it knows how to print: an unreachable address still exits 2.
  await refused('db', 'probe', '127.0.0.1:1');
});
