// create_db_user and its companions on roles (docs/db-users.md): validated together, and a
// create_db_user role grants exactly the person's own db user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAccessChecker } from '../../src/rbac/access-checker.js';
import { planDbUser } from '../../src/rbac/db-user-plan.js';
import { parseRole } from '../../src/rbac/validate.js';

const db = { name: 'acc', labels: { env: 'dev' } };

function role(name: string, options: Record<string, unknown>, allow: Record<string, unknown> = {}) {
  return parseRole({ kind: 'role', name, options, allow: { db_labels: { env: 'dev' }, db_names: ['*'], ...allow } });
}

test('create_db_user: db_roles is required; db_users is refused; the companions need create_db_user', () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
    [{ create_db_user: true }, {}, /options\.db_roles: create_db_user needs db_roles/],
    [{ create_db_user: true, db_roles: ['r'] }, { db_users: ['app'] }, /allow\.db_users: a role with create_db_user/],
    [{ db_roles: ['r'] }, {}, /options\.db_roles: db_roles applies only with create_db_user/],
    [{ create_db_user_mode: 'drop' }, {}, /options\.create_db_user_mode: create_db_user_mode applies only/],
    [{ create_db_user: true, db_roles: [] }, {}, /options\.db_roles/],
    [{ create_db_user: true, db_roles: ["r'; DROP USER x"] }, {}, /options\.db_roles\[0\]/],
    [{ create_db_user: true, db_roles: ['r'], create_db_user_mode: 'delete' }, {}, /create_db_user_mode/],
  ];
  for (const [options, allow, message] of cases) {
    assert.throws(() => role('r', options, allow), message, JSON.stringify(options));
  }
  const ok = role('r', { create_db_user: true, db_roles: ['acc_reader', 'reports.r-1'], create_db_user_mode: 'drop' });
  assert.deepEqual(ok.options?.db_roles, ['acc_reader', 'reports.r-1']);
});

test('a create_db_user role allows the person own name as db user and nothing else', () => {
  const auto = role('auto', { create_db_user: true, db_roles: ['acc_reader'] });
  const checker = createAccessChecker({ roles: [auto], traits: {}, user: 'ada' });
  const own = checker.checkAccess({ db, dbUser: 'ada', dbName: 'acc' });
  assert.equal(own.allowed, true);
  assert.equal(checker.checkAccess({ db, dbUser: 'root', dbName: 'acc' }).allowed, false);
  // Without the person's name (an old caller) it allows no db user at all.
  assert.equal(createAccessChecker({ roles: [auto], traits: {} }).checkAccess({ db, dbUser: 'ada' }).allowed, false);
  // Another role of the same person still grants its shared db user, without an automatic user.
  const shared = role('shared', {}, { db_users: ['app_ro'] });
  const both = createAccessChecker({ roles: [auto, shared], traits: {}, user: 'ada' });
  const viaShared = both.checkAccess({ db, dbUser: 'app_ro', dbName: 'acc' });
  assert.ok(viaShared.allowed);
  assert.deepEqual(viaShared.roles, ['shared']);
  assert.equal(planDbUser([auto, shared], viaShared.roles), undefined);
});

test('planDbUser: the union of the granting roles db_roles; drop if any says drop', () => {
  const a = role('a', { create_db_user: true, db_roles: ['r1', 'r2'] });
  const b = role('b', { create_db_user: true, db_roles: ['r2', 'r3'], create_db_user_mode: 'drop' });
  const c = role('c', {});
  assert.deepEqual(planDbUser([a, b, c], ['a', 'b']), { dbRoles: ['r1', 'r2', 'r3'], mode: 'drop' });
  assert.deepEqual(planDbUser([a, b, c], ['a']), { dbRoles: ['r1', 'r2'], mode: 'lock' });
  // A role the person holds but that did not grant the session adds nothing.
  assert.equal(planDbUser([a, b, c], ['c']), undefined);
});
