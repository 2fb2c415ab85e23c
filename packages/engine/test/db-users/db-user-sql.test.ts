import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createUserSql,
  defaultRoleSql,
  grantRolesSql,
  layoutRoles,
  sqlAccount,
  sqlRole,
  sqlString,
} from '../../src/db-users/db-user-sql.js';

test('literals and identifiers stay one token whatever they hold', () => {
  assert.equal(sqlString("it's"), "'it''s'");
  assert.equal(sqlString('a\\'), "'a\\\\'");
  assert.equal(sqlString("\\'; DROP USER x; --"), "'\\\\''; DROP USER x; --'");
  assert.equal(sqlRole('a`b'), '`a``b`');
  assert.equal(sqlAccount('ada'), "'ada'@'%'");
});

test('the user is made locked, with the subject of the engine db-client certificate', () => {
  assert.equal(createUserSql('ada'), "CREATE USER 'ada'@'%' REQUIRE SUBJECT '/CN=ada' ACCOUNT LOCK");
});

test('roles are granted one statement each (MariaDB takes one role per GRANT)', () => {
  assert.deepEqual(grantRolesSql(['r1', 'r2'], sqlAccount('ada')), [
    "GRANT `r1` TO 'ada'@'%'",
    "GRANT `r2` TO 'ada'@'%'",
  ]);
});

test('default roles: MySQL takes a list TO the user; MariaDB one role FOR the user', () => {
  assert.equal(defaultRoleSql('mysql', ['r1', 'r2'], 'ada'), "SET DEFAULT ROLE `r1`, `r2` TO 'ada'@'%'");
  assert.equal(defaultRoleSql('mysql', [], 'ada'), "SET DEFAULT ROLE NONE TO 'ada'@'%'");
  assert.equal(defaultRoleSql('mariadb', ['r1'], 'ada'), "SET DEFAULT ROLE `r1` FOR 'ada'@'%'");
  assert.throws(() => defaultRoleSql('mariadb', ['r1', 'r2'], 'ada'), /one default role/);
});

test('several roles on MariaDB go to a wrapper role; otherwise they are granted directly', () => {
  assert.deepEqual(layoutRoles('mariadb', ['r1', 'r2'], 'w'), {
    direct: ['w'],
    wrapped: ['r1', 'r2'],
    defaults: ['w'],
  });
  assert.deepEqual(layoutRoles('mariadb', ['r1'], 'w'), { direct: ['r1'], wrapped: [], defaults: ['r1'] });
  assert.deepEqual(layoutRoles('mysql', ['r1', 'r2'], 'w'), {
    direct: ['r1', 'r2'],
    wrapped: [],
    defaults: ['r1', 'r2'],
  });
});
