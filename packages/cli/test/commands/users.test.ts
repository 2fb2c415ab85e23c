import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDataDir, runGatectl } from '../gatectl-child.js';

const ROLES = `kind: role
name: dev
options: { max_session_ttl: 8h }
allow: { db_labels: { env: dev }, db_users: ["{{internal.db_users}}"], db_names: ["*"] }
---
kind: role
name: ops
allow: { db_labels: { '*': '*' }, db_users: [ops] }
`;

async function withRoles(t: Parameters<typeof createDataDir>[0]) {
  const env = await createDataDir(t);
  const file = join(env.dir, 'roles.yaml');
  await writeFile(file, ROLES);
  const r = await env.gatectl('roles', 'create', '-f', file);
  assert.equal(r.code, 0, r.stderr);
  return env;
}

test('gatectl users: add, ls (table and json), update, rm', async (t) => {
  const { gatectl } = await withRoles(t);
  const add = await gatectl(
    'users',
    'add',
    'alice',
    '--roles',
    'dev,ops',
    '--db-users',
    'alice,app_ro',
    '--db-names',
    'app',
  );
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, "user 'alice' created with roles dev, ops\n");

  const ls = await gatectl('users', 'ls');
  assert.equal(ls.code, 0);
  const [header, row] = ls.stdout.trimEnd().split('\n');
  assert.match(header!, /^NAME\s+ROLES\s+DB USERS\s+DB NAMES\s+CREATED$/);
  assert.match(row!, /^alice\s+dev,ops\s+alice,app_ro\s+app\s+\d{4}-/);

  const upd = await gatectl(
    'users',
    'update',
    'alice',
    '--roles',
    'ops',
    '--db-names',
    'app,reports',
    '--format',
    'json',
  );
  assert.equal(upd.code, 0, upd.stderr);
  const updated = JSON.parse(upd.stdout) as { roles: string[]; traits: { db_users: string[]; db_names: string[] } };
  assert.deepEqual(updated.roles, ['ops']);
  assert.deepEqual(updated.traits, { db_users: ['alice', 'app_ro'], db_names: ['app', 'reports'] });

  const json = await gatectl('users', 'ls', '--format', 'json');
  assert.deepEqual(
    (JSON.parse(json.stdout) as Array<{ name: string }>).map((u) => u.name),
    ['alice'],
  );

  const rm = await gatectl('users', 'rm', 'alice');
  assert.equal(rm.code, 0);
  assert.equal(rm.stdout, "user 'alice' removed\n");
  assert.deepEqual(JSON.parse((await gatectl('--format', 'json', 'users', 'ls')).stdout), []);
});

test('gatectl users: failures exit 1 with a message naming the problem', async (t) => {
  const { gatectl } = await withRoles(t);
  const unknownRole = await gatectl('users', 'add', 'bob', '--roles', 'dev,admin');
  assert.equal(unknownRole.code, 1);
  assert.equal(
    unknownRole.stderr,
    "gatectl: unknown role 'admin': create it first with 'gatectl roles create -f FILE'\n",
  );
  assert.equal(unknownRole.stdout, '');

  assert.equal((await gatectl('users', 'add', 'bob', '--roles', 'dev')).code, 0);
  const dup = await gatectl('users', 'add', 'bob', '--roles', 'dev');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /user 'bob' already exists/);

  for (const args of [
    ['users', 'rm', 'zed'],
    ['users', 'update', 'zed', '--roles', 'dev'],
  ]) {
    const r = await gatectl(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr, "gatectl: user 'zed' does not exist\n");
  }
  const badName = await gatectl('users', 'add', '../x', '--roles', 'dev');
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /user '\.\.\/x': name: must be/);
});

test('gatectl users: usage errors exit 2', async (t) => {
  const { gatectl } = await withRoles(t);
  const cases: Array<[string[], RegExp]> = [
    [['users', 'add', 'carol'], /--roles is required/],
    [['users', 'add', '--roles', 'dev'], /missing arguments\. Usage: gatectl users add NAME/],
    [['users', 'add', 'carol', '--roles', ','], /--roles needs at least one role/],
    [['users', 'add', 'carol', 'dave', '--roles', 'dev'], /unexpected argument 'dave'/],
    [['users', 'add', 'carol', '--roles', 'dev', '--colour', 'red'], /Unknown option '--colour'/],
    [['users', 'update', 'carol'], /nothing to update/],
    [['users', 'ls', '--format', 'xml'], /--format must be table or json/],
    [['users', 'rm'], /missing arguments/],
  ];
  for (const [args, message] of cases) {
    const r = await gatectl(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('gatectl users: GATEHOUSE_DATA_DIR and the ./gatehouse-data default are honoured', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'gh-cwd-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  await writeFile(join(cwd, 'roles.yaml'), ROLES);
  const viaEnv = { GATEHOUSE_DATA_DIR: join(cwd, 'envdir') };
  assert.equal((await runGatectl(['roles', 'create', '-f', 'roles.yaml'], { cwd, env: viaEnv })).code, 0);
  assert.equal((await runGatectl(['users', 'add', 'erin', '--roles', 'dev'], { cwd, env: viaEnv })).code, 0);
  const ls = await runGatectl(['users', 'ls', '--data-dir', 'envdir', '--format', 'json'], { cwd });
  assert.deepEqual(
    (JSON.parse(ls.stdout) as Array<{ name: string }>).map((u) => u.name),
    ['erin'],
  );
  // No flag and no env: ./gatehouse-data, which does not know erin's roles.
  const fallback = await runGatectl(['users', 'add', 'erin', '--roles', 'dev'], { cwd });
  assert.equal(fallback.code, 1);
  assert.match(fallback.stderr, /unknown role 'dev'/);
  assert.equal((await runGatectl(['roles', 'create', '-f', 'roles.yaml'], { cwd })).code, 0);
  assert.equal((await runGatectl(['users', 'add', 'erin', '--roles', 'dev'], { cwd })).code, 0);
  const local = await runGatectl(['users', 'ls', '--data-dir', 'gatehouse-data', '--format', 'json'], { cwd });
  assert.equal((JSON.parse(local.stdout) as unknown[]).length, 1);
});

test('gatectl users: two concurrent `users add` processes lose neither user (3 rounds)', async (t) => {
  const { gatectl } = await withRoles(t);
  for (let round = 0; round < 3; round++) {
    const a = `racer${round}a`;
    const b = `racer${round}b`;
    // Both children are started before either is awaited.
    const [ra, rb] = await Promise.all([
      gatectl('users', 'add', a, '--roles', 'dev'),
      gatectl('users', 'add', b, '--roles', 'ops'),
    ]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const names = (
      JSON.parse((await gatectl('users', 'ls', '--format', 'json')).stdout) as Array<{ name: string }>
    ).map((u) => u.name);
    assert.ok(names.includes(a) && names.includes(b), `round ${round}: ${names.join(',')}`);
    assert.equal(names.length, (round + 1) * 2);
  }
  // And the same name twice at once: exactly one wins.
  const both = await Promise.all([
    gatectl('users', 'add', 'same', '--roles', 'dev'),
    gatectl('users', 'add', 'same', '--roles', 'ops'),
  ]);
  assert.deepEqual(both.map((r) => r.code).sort(), [0, 1]);
});
