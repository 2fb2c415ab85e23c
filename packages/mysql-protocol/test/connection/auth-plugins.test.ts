import assert from 'node:assert/strict';
import { constants as cryptoConstants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { test } from 'node:test';
import { createClientAuthPlugin, MysqlAuthUnsupportedError, MysqlHandshakeError } from '../../src/connection/index.js';

const nonce = Buffer.concat([Buffer.from('0123456789abcdefghij'), Buffer.from([0])]);
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const decrypt = (data: Buffer): string => {
  const clear = privateDecrypt(
    { key: privateKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    data,
  );
  return Buffer.from(clear.map((b, i) => b ^ nonce[i % 20]!)).toString();
};

test('sha256_password: cleartext over TLS, key request then RSA over plaintext, NUL for an empty password', () => {
  assert.equal(
    createClientAuthPlugin('sha256_password', { password: 'pw', secure: true }).start(nonce).toString(),
    'pw\0',
  );
  const plain = createClientAuthPlugin('sha256_password', { password: 'pw', secure: false });
  assert.deepEqual([...plain.start(nonce)], [0x01]);
  assert.equal(decrypt(plain.continue(Buffer.from(pem))!), 'pw\0');
  assert.deepEqual([...createClientAuthPlugin('sha256_password', { password: '', secure: false }).start(nonce)], [0]);
});

test('caching_sha2_password: fast-auth success waits for OK, full auth asks for the key, bad status is an error', () => {
  const plugin = createClientAuthPlugin('caching_sha2_password', { password: 'pw', secure: false });
  assert.equal(plugin.start(nonce).length, 32);
  assert.equal(plugin.continue(Buffer.from([0x03])), undefined);
  assert.deepEqual([...plugin.continue(Buffer.from([0x04]))!], [0x02]);
  assert.equal(decrypt(plugin.continue(Buffer.from(pem))!), 'pw\0');
  assert.throws(() => plugin.continue(Buffer.from([0x09])), MysqlHandshakeError);
});

test('mysql_clear_password is refused without TLS or a unix socket', () => {
  assert.throws(
    () => createClientAuthPlugin('mysql_clear_password', { password: 'pw', secure: false }).start(nonce),
    MysqlAuthUnsupportedError,
  );
  assert.equal(
    createClientAuthPlugin('mysql_clear_password', { password: 'pw', secure: true }).start(nonce).toString(),
    'pw\0',
  );
});

test('an unknown plugin is a typed error naming it', () => {
  assert.throws(
    () => createClientAuthPlugin('dialog', { password: '', secure: true }),
    (err) => err instanceof MysqlAuthUnsupportedError && err.plugin === 'dialog',
  );
});
