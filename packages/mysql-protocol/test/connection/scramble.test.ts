import assert from 'node:assert/strict';
import { createHash, constants as cryptoConstants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  deriveEd25519PublicKey,
  encryptPasswordWithPublicKey,
  scrambleCachingSha2,
  scrambleNativePassword,
  signEd25519,
} from '../../src/connection/auth/scramble.js';

const sha = (alg: string, ...parts: Buffer[]): Buffer => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const nonce = Buffer.from('0123456789abcdefghij');

test('native password scramble is undone by the server-side check', () => {
  const out = scrambleNativePassword('secret', nonce);
  const stored = sha('sha1', sha('sha1', Buffer.from('secret')));
  const mask = sha('sha1', nonce, stored);
  const stage1 = Buffer.from(out.map((b, i) => b ^ mask[i]!));
  assert.deepEqual(sha('sha1', stage1), stored);
  assert.equal(scrambleNativePassword('', nonce).length, 0);
});

test('caching_sha2 scramble is undone by the server-side check', () => {
  const out = scrambleCachingSha2('pässword', nonce);
  const stored = sha('sha256', sha('sha256', Buffer.from('pässword')));
  const mask = sha('sha256', stored, nonce);
  const stage1 = Buffer.from(out.map((b, i) => b ^ mask[i]!));
  assert.deepEqual(sha('sha256', stage1), stored);
});

test('RSA-protected password decrypts to password+NUL XOR nonce', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const enc = encryptPasswordWithPublicKey('a much longer password than the nonce', nonce, pem);
  const dec = privateDecrypt(
    { key: privateKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    enc,
  );
  const clear = Buffer.from(dec.map((b, i) => b ^ nonce[i % nonce.length]!));
  assert.equal(clear.toString('utf8'), 'a much longer password than the nonce\0');
});

test('client_ed25519 equals standard Ed25519 when the password is a 32-byte seed', () => {
  const seed = 'abcdefghijklmnopqrstuvwxyz012345';
  const message = Buffer.alloc(32, 7);
  const expected = ed25519.sign(message, Buffer.from(seed));
  assert.deepEqual(new Uint8Array(signEd25519(seed, message)), expected);
});

test('client_ed25519 signatures of any password length verify under the derived key', () => {
  for (const pw of ['', 'pw', 'a longer passphrase with spaces and ünïcode, well over thirty-two bytes']) {
    const message = Buffer.from(createHash('sha256').update(pw).digest());
    const sig = signEd25519(pw, message);
    assert.equal(sig.length, 64);
    assert.ok(ed25519.verify(sig, message, deriveEd25519PublicKey(pw)));
  }
});
