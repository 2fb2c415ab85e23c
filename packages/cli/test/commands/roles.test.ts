import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { createDataDir } from '../gatectl-child.js';

const DEV = `kind: role
name: dev
options: { max_session_ttl: 8h, client_idle_timeout: 30m, disconnect_expired_cert: true }
allow: { db_labels: { env: [dev, staging] }, db_users: [app_ro, "{{internal.db_users}}"], db_names: [app, "reports_*"] }
deny:  { db_labels: { env: prod } }
`;

test('gatectl roles: create from multi-document YAML, ls, get round-trips, rm', async (t) => {
  const { dir, gatectl } = await createDataDir(t);
  const file = join(dir, 'roles.yaml');
  await writeFile(file, `${DEV}---\nkind: role\nname: ops\nallow: { db_labels: { '*': '*' }, db_users: ['*'] }\n`);
  const created = await gatectl('roles', 'create', '-f', file);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, "role 'dev' created\nrole 'ops' created\n");

  const ls = await gatectl('roles', 'ls');
  const lines = ls.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+MAX SESSION TTL\s+ALLOW\s+DENY$/);
  assert.match(
    lines[1]!,
    /^dev\s+8h\s+labels env=dev\|staging; users app_ro,\{\{internal\.db_users\}\}; names app,reports_\*\s+labels env=prod$/,
  );
  assert.match(lines[2]!, /^ops\s+-\s+labels \*=\*; users \*$/);

  const get = await gatectl('roles', 'get', 'dev');
  assert.equal(get.code, 0);
  assert.deepEqual(parse(get.stdout), parse(DEV));
  const json = await gatectl('roles', 'get', 'dev', '--format', 'json');
  assert.deepEqual(JSON.parse(json.stdout), parse(DEV));

  assert.equal((await gatectl('roles', 'rm', 'ops')).stdout, "role 'ops' removed\n");
  assert.deepEqual(
    (JSON.parse((await gatectl('roles', 'ls', '--format', 'json')).stdout) as Array<{ name: string }>).map(
      (r) => r.name,
    ),
    ['dev'],
  );
});

test('gatectl roles: an existing role is replaced only with --force', async (t) => {
  const { dir, gatectl } = await createDataDir(t);
  const file = join(dir, 'dev.yaml');
  await writeFile(file, DEV);
  assert.equal((await gatectl('roles', 'create', '-f', file)).code, 0);
  await writeFile(file, DEV.replace('max_session_ttl: 8h', 'max_session_ttl: 2h'));
  const again = await gatectl('roles', 'create', '-f', file);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, "gatectl: role 'dev' already exists; use --force to replace it\n");
  const forced = await gatectl('roles', 'create', '-f', file, '--force');
  assert.equal(forced.stdout, "role 'dev' replaced\n");
  assert.equal(parse((await gatectl('roles', 'get', 'dev')).stdout).options.max_session_ttl, '2h');
});

test('gatectl roles: bad files are refused with the file, the path and the reason; nothing is stored', async (t) => {
  const { dir, gatectl } = await createDataDir(t);
  const cases: Array<[string, string, RegExp]> = [
    ['syntax.yaml', 'kind: role\nname: [unclosed\n', /syntax\.yaml: invalid YAML: /],
    [
      'ttl.yaml',
      'kind: role\nname: x\noptions: { max_session_ttl: 8 hours }\n',
      /ttl\.yaml: options\.max_session_ttl: invalid duration '8 hours'/,
    ],
    ['key.yaml', 'kind: role\nname: x\nallow: { db_user: [a] }\n', /key\.yaml: allow: .*db_user/],
    ['kind.yaml', 'kind: rol\nname: x\n', /kind\.yaml: kind: /],
    [
      'second.yaml',
      `${DEV}---\nkind: role\nname: y\nallow: { db_names: ['{{internal.nope}}'] }\n`,
      /second\.yaml \(document 2\): allow\.db_names\[0\]: unknown template/,
    ],
    ['empty.yaml', '# nothing\n', /empty\.yaml: no role in the file/],
  ];
  for (const [name, text, message] of cases) {
    const file = join(dir, name);
    await writeFile(file, text);
    const r = await gatectl('roles', 'create', '-f', file);
    assert.equal(r.code, 1, name);
    assert.match(r.stderr, message);
  }
  const missing = await gatectl('roles', 'create', '-f', join(dir, 'absent.yaml'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read .*absent\.yaml/);
  // The valid first document of second.yaml was not stored either.
  assert.deepEqual(JSON.parse((await gatectl('roles', 'ls', '--format', 'json')).stdout), []);
});

test('gatectl roles: unknown roles, roles in use and usage errors', async (t) => {
  const { dir, gatectl } = await createDataDir(t);
  const file = join(dir, 'dev.yaml');
  await writeFile(file, DEV);
  await gatectl('roles', 'create', '-f', file);
  assert.equal((await gatectl('users', 'add', 'alice', '--roles', 'dev')).code, 0);
  const inUse = await gatectl('roles', 'rm', 'dev');
  assert.equal(inUse.code, 1);
  assert.equal(inUse.stderr, "gatectl: role 'dev' is still used by alice; update them first\n");
  for (const args of [
    ['roles', 'get', 'nope'],
    ['roles', 'rm', 'nope'],
  ]) {
    const r = await gatectl(...args);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "gatectl: role 'nope' does not exist\n");
  }
  for (const [args, message] of [
    [['roles', 'create'], /--file is required/],
    [['roles', 'get'], /missing arguments/],
    [['roles', 'create', '-f'], /argument missing/],
  ] as Array<[string[], RegExp]>) {
    const r = await gatectl(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
});
