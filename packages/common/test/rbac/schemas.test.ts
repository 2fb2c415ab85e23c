import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isGatehouseError } from '../../src/errors.js';
import { parseLock, parseRole, parseToken, parseUser } from '../../src/rbac/validate.js';

const now = '2025-01-01T00:00:00.000Z';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isGatehouseError(err, 'GH_ERR_CONFIG'), `expected GH_ERR_CONFIG, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a validation error');
}

test('schemas: the DESIGN.md example role parses as written', () => {
  const role = parseRole({
    kind: 'role',
    name: 'dev',
    options: { max_session_ttl: '8h', client_idle_timeout: '30m', disconnect_expired_cert: true },
    allow: {
      db_labels: { env: ['dev', 'staging'] },
      db_users: ['app_ro', '{{internal.db_users}}'],
      db_names: ['app', 'reports_*'],
    },
    deny: { db_labels: { env: 'prod' } },
  });
  assert.equal(role.options?.max_session_ttl, '8h');
  assert.deepEqual(role.deny?.db_labels, { env: 'prod' });
});

const badRoles: Array<[string, unknown, RegExp]> = [
  [
    'bad duration',
    { kind: 'role', name: 'r', options: { max_session_ttl: '8x' } },
    /options\.max_session_ttl: invalid duration '8x'/,
  ],
  ['unknown key', { kind: 'role', name: 'r', allow: { db_user: ['x'] } }, /allow: .*db_user/],
  ['wrong kind', { kind: 'user', name: 'r' }, /^role\.yaml: kind: /],
  [
    'unknown template',
    { kind: 'role', name: 'r', allow: { db_users: ['{{external.foo}}'] } },
    /allow\.db_users\[0\]: unknown template '\{\{external\.foo\}\}'/,
  ],
  [
    'unclosed template',
    { kind: 'role', name: 'r', allow: { db_users: ['{{internal.db_users'] } },
    /allow\.db_users\[0\]: .*unclosed/,
  ],
  [
    '* key with other value',
    { kind: 'role', name: 'r', allow: { db_labels: { '*': 'prod' } } },
    /allow\.db_labels\.\*: the '\*' label key/,
  ],
  [
    'label value not a string',
    { kind: 'role', name: 'r', allow: { db_labels: { env: 3 } } },
    /allow\.db_labels\.env: /,
  ],
  ['name with a slash', { kind: 'role', name: '../etc', allow: {} }, /name: must be 1-64 characters/],
  ['zero ttl', { kind: 'role', name: 'r', options: { max_session_ttl: '0s' } }, /must be positive/],
];
for (const [name, input, message] of badRoles) {
  test(`schemas: a role with ${name} is refused with its path`, () => {
    assert.match(
      configError(() => parseRole(input, 'role.yaml')),
      message,
    );
  });
}

test('schemas: users need a role and valid timestamps', () => {
  const user = parseUser({
    name: 'alice',
    roles: ['dev'],
    traits: { db_users: ['alice'] },
    created: now,
    updated: now,
  });
  assert.deepEqual(user.traits, { db_users: ['alice'] });
  assert.match(
    configError(() => parseUser({ name: 'a', roles: [], traits: {}, created: now, updated: now })),
    /roles: a user needs at least one role/,
  );
  assert.match(
    configError(() => parseUser({ name: 'a', roles: ['r'], traits: {}, created: 'yesterday', updated: now })),
    /created: /,
  );
});

test('schemas: tokens keep only a sha256 hash, locks name a user', () => {
  const hash = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseToken({ type: 'engine', secret_hash: hash, expires: now, created: now }).secret_hash, hash);
  assert.match(
    configError(() => parseToken({ type: 'engine', secret_hash: 'plain', expires: now, created: now })),
    /secret_hash: /,
  );
  assert.match(
    configError(() => parseToken({ type: 'proxy', secret_hash: hash, expires: now, created: now })),
    /type: /,
  );
  assert.equal(parseLock({ target: { user: 'bob' }, message: 'x', created: now }).target.user, 'bob');
  assert.match(
    configError(() => parseLock({ target: {}, message: 'x', created: now })),
    /target\.user: /,
  );
});
