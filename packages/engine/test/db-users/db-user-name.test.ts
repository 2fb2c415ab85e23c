import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  autoDbUserName,
  serverFlavor,
  USER_NAME_LIMIT,
  userLockName,
  wrapperRoleName,
} from '../../src/db-users/db-user-name.js';

test('a name that fits is the Gatehouse user name itself', () => {
  assert.equal(autoDbUserName('ada', 'mariadb'), 'ada');
  assert.equal(autoDbUserName('a'.repeat(32), 'mysql'), 'a'.repeat(32));
  // Gatehouse names are at most 64 characters: never hashed on MariaDB.
  assert.equal(autoDbUserName('b'.repeat(64), 'mariadb'), 'b'.repeat(64));
});

test('a longer name is its start, a dash and 12 hex digits, exactly the limit long, and stable', () => {
  const long = 'a-very-long-user-name@example.com';
  const name = autoDbUserName(long, 'mysql');
  assert.equal(name.length, USER_NAME_LIMIT.mysql);
  assert.match(name, /^a-very-long-user-na-[0-9a-f]{12}$/);
  assert.equal(autoDbUserName(long, 'mysql'), name);
  // Two names that share the kept start still differ.
  assert.notEqual(autoDbUserName(`${long}x`, 'mysql'), name);
});

test('the server flavour comes from the version the server announces', () => {
  assert.equal(serverFlavor('10.11.19-MariaDB-0+deb12u1'), 'mariadb');
  assert.equal(serverFlavor('5.5.5-10.6.16-MariaDB'), 'mariadb');
  assert.equal(serverFlavor('8.0.36'), 'mysql');
});

test('lock and wrapper role names fit the servers limits (GET_LOCK: 64) and differ per user', () => {
  for (const user of ['ada', 'b'.repeat(80)]) {
    assert.ok(userLockName(user).length <= 64);
    assert.match(wrapperRoleName(user), /^gh_roles_[0-9a-f]{16}$/);
  }
  assert.notEqual(userLockName('ada'), userLockName('bob'));
  assert.notEqual(wrapperRoleName('ada'), wrapperRoleName('bob'));
});
