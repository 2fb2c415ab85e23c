import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChangeUserCommand, parseClientCommand, serializeChangeUser } from '../../src/commands/index.js';
import { Capability } from '../../src/wire/index.js';
import { CAPS, fieldsOf } from './helpers.js';

function changeUser(payload: Buffer, capabilities = CAPS): ChangeUserCommand {
  const parsed = parseClientCommand(payload, { capabilities });
  assert.equal(parsed.kind, 'change_user');
  return parsed as ChangeUserCommand;
}

const FULL = {
  user: 'mallory',
  authResponse: Buffer.from('0123456789abcdef0123', 'utf8'),
  schema: 'app',
  characterSet: 45,
  authPlugin: 'mysql_native_password',
  attributes: [
    ['_client_name', 'libmariadb'],
    ['program_name', 'mysql'],
  ] as const,
};

test('COM_CHANGE_USER round trips every field', () => {
  const payload = serializeChangeUser(FULL, { capabilities: CAPS });
  assert.deepEqual(fieldsOf(changeUser(payload)), {
    kind: 'change_user',
    user: 'mallory',
    authResponse: FULL.authResponse,
    schema: 'app',
    characterSet: 45,
    authPlugin: 'mysql_native_password',
    attributes: [
      ['_client_name', 'libmariadb'],
      ['program_name', 'mysql'],
    ],
    malformed: false,
  });
});

test('COM_CHANGE_USER from an old client: NUL-terminated auth data and nothing after the schema', () => {
  const capabilities = Capability.Protocol41;
  const payload = serializeChangeUser(
    { user: 'bob', authResponse: Buffer.from('scrambled'), schema: 'db' },
    { capabilities },
  );
  const cmd = changeUser(payload, capabilities);
  assert.equal(cmd.user, 'bob');
  assert.equal(cmd.authResponse.toString(), 'scrambled');
  assert.equal(cmd.schema, 'db');
  assert.equal(cmd.characterSet, undefined);
  assert.equal(cmd.authPlugin, undefined);
  assert.equal(cmd.malformed, false);
});

test('COM_CHANGE_USER is parsed leniently: every truncation still audits who was asked for', () => {
  const payload = serializeChangeUser(FULL, { capabilities: CAPS });
  for (let n = 1; n < payload.length; n++) {
    const cmd = changeUser(payload.subarray(0, n));
    assert.ok('mallory'.startsWith(cmd.user), `cut at ${n}`);
    if (n <= 1 + 'mallory'.length) assert.equal(cmd.malformed, true, `cut at ${n}`);
  }
});

test('COM_CHANGE_USER with a malformed attribute block keeps the other fields and says so', () => {
  const good = serializeChangeUser(FULL, { capabilities: CAPS });
  const broken = Buffer.from(good);
  // The attribute block's length byte sits after the plugin name; claim more than is there.
  const at = good.indexOf(Buffer.from('mysql_native_password\0')) + 'mysql_native_password\0'.length;
  broken[at] = 0xfa;
  const cmd = changeUser(broken);
  assert.equal(cmd.user, 'mallory');
  assert.equal(cmd.authPlugin, 'mysql_native_password');
  assert.equal(cmd.malformed, true);
});
