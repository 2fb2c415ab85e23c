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
  const roleFile = join(dir, 'role.yaml');
  await writeFile(
    roleFile,
    'kind: role\nname: dev\nallow: { db_labels: { "*": "*" }, db_users: ["*"], db_names: ["*"] }\n',
  );
  const otherRole = join(dir, 'other.yaml');
  await writeFile(
    otherRole,
    'kind: role\nname: other\nallow: { db_labels: { "*": "*" }, db_users: ["*"], db_names: ["*"] }\n',
  );
  assert.equal((await gatectl('roles', 'create', '-f', roleFile)).code, 0);
  assert.equal((await gatectl('users', 'add', 'bob', '--roles', 'dev')).code, 0);
  const before = await Promise.all([json('ca', 'ls'), json('roles', 'ls'), json('users', 'ls')]);

  // None of these acts, so they may run at once.
  await Promise.all([
    refused('ca', 'rotate', '--type', 'user', '--grace', '1h'),
    refused('roles', 'create', '-f', otherRole),
    refused('roles', 'rm', 'dev'),
    refused('users', 'add', 'carol', '--roles', 'dev'),
    refused('users', 'update', 'bob', '--db-users', 'x'),
    refused('users', 'rm', 'bob'),
    refused('tokens', 'add', '--type', 'engine'),
    refused('lock', '--user', 'bob'),
    // db probe no longer dials before it knows how to print: an unreachable address still exits 2.
    refused('db', 'probe', '127.0.0.1:1'),
  ]);

  const after = await Promise.all([json('ca', 'ls'), json('roles', 'ls'), json('users', 'ls')]);
  assert.deepEqual(after, before);
  const [tokens, locks] = await Promise.all([json('tokens', 'ls'), json('locks', 'ls')]);
  assert.deepEqual(tokens, []);
  assert.deepEqual(locks, []);
});
