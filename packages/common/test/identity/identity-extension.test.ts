import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { decodeIdentityExtension } from '../../src/identity/identity-extension.js';
import {
  encodeIdentityExtension,
  IDENTITY_EXTENSION_OID,
  type IdentityExtension,
  isGatehouseError,
} from '../../src/index.js';

const full: IdentityExtension = {
  dbService: 'orders',
  dbUser: 'app_ro',
  dbName: 'shop',
  dbUsers: ['app_ro', 'ünï'],
  dbNames: ['shop', 'reports_*'],
};

test('the OID is in the 2.25 UUID arc', () => {
  assert.match(IDENTITY_EXTENSION_OID, /^2\.25\.\d{30,39}$/);
});

test('round-trips with and without the optional db user and db name', () => {
  assert.deepEqual(decodeIdentityExtension(encodeIdentityExtension(full)), full);
  const bare: IdentityExtension = { dbService: 'x', dbUsers: [], dbNames: [] };
  assert.deepEqual(decodeIdentityExtension(encodeIdentityExtension(bare)), bare);
  const onlyName: IdentityExtension = { dbService: 'x', dbName: 'n', dbUsers: ['u'], dbNames: [] };
  assert.deepEqual(decodeIdentityExtension(encodeIdentityExtension(onlyName)), onlyName);
});

test('uses long-form lengths for big trait lists', () => {
  const big: IdentityExtension = {
    dbService: 's',
    dbUsers: Array.from({ length: 300 }, (_, i) => `user_${i}`),
    dbNames: ['a'.repeat(70_000)],
  };
  const der = encodeIdentityExtension(big);
  assert.equal(der[1], 0x83); // three length bytes
  assert.deepEqual(decodeIdentityExtension(der), big);
});

test('skips fields appended after dbNames (compatible growth within version 1)', () => {
  const der = encodeIdentityExtension(full);
  const extra = Uint8Array.from([0x0c, 0x01, 0x41]);
  const body = der.subarray(2);
  const grown = Uint8Array.from([0x30, body.length + extra.length, ...body, ...extra]);
  assert.deepEqual(decodeIdentityExtension(grown), full);
});

const malformed: Array<[string, number[]]> = [
  ['empty input', []],
  ['not a SEQUENCE', [0x04, 0x00]],
  ['unsupported version', [0x30, 0x03, 0x02, 0x01, 0x02]],
  ['missing db service', [0x30, 0x03, 0x02, 0x01, 0x01]],
  ['empty db service', [0x30, 0x09, 0x02, 0x01, 0x01, 0x0c, 0x00, 0x30, 0x00, 0x30, 0x00]],
  ['indefinite length', [0x30, 0x80, 0x00, 0x00]],
  ['non-minimal length', [0x30, 0x81, 0x05, 0x02, 0x01, 0x01, 0x0c, 0x00]],
  ['trailing bytes', [0x30, 0x00, 0x00]],
  ['invalid UTF-8', [0x30, 0x0a, 0x02, 0x01, 0x01, 0x0c, 0x01, 0xff, 0x30, 0x00, 0x30, 0x00]],
  [
    'integer in a trait list',
    [0x30, 0x0d, 0x02, 0x01, 0x01, 0x0c, 0x01, 0x41, 0x30, 0x03, 0x02, 0x01, 0x01, 0x30, 0x00],
  ],
  ['missing dbNames', [0x30, 0x08, 0x02, 0x01, 0x01, 0x0c, 0x01, 0x41, 0x30, 0x00]],
];

for (const [name, bytes] of malformed) {
  test(`refuses ${name} with GH_ERR_CERT_BAD_EXTENSION`, () => {
    assert.throws(
      () => decodeIdentityExtension(Uint8Array.from(bytes)),
      (err) => isGatehouseError(err, 'GH_ERR_CERT_BAD_EXTENSION'),
    );
  });
}

test('seeded fuzz: random and mutated input only ever raises GH_ERR_CERT_BAD_EXTENSION', () => {
  const random = createSeededRandom(0x6a7e).next;
  const valid = encodeIdentityExtension(full);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    let input: Uint8Array;
    if (i % 2 === 0) {
      input = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
    } else {
      input = Uint8Array.from(valid);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      if (random() < 0.3) input = input.subarray(0, Math.floor(random() * input.length));
    }
    try {
      decodeIdentityExtension(input);
      decoded++;
    } catch (err) {
      assert.ok(
        isGatehouseError(err, 'GH_ERR_CERT_BAD_EXTENSION'),
        `input ${Buffer.from(input).toString('hex')} raised ${String(err)}`,
      );
    }
  }
  // Mutations that hit only string bytes still decode; the count proves both paths ran.
  assert.ok(decoded > 0);
});

test('carries the db role (--db-role) after dbNames; older certificates have none', () => {
  const withRole: IdentityExtension = { ...full, dbRole: 'replica' };
  const der = encodeIdentityExtension(withRole);
  assert.deepEqual(decodeIdentityExtension(der), withRole);
  assert.equal(decodeIdentityExtension(encodeIdentityExtension(full)).dbRole, undefined);
  // An older decoder stops after dbNames: the role is the last element, [2] IMPLICIT UTF8String.
  const tail = Buffer.from(der).subarray(der.length - 9);
  assert.deepEqual([...tail], [0x82, 0x07, ...Buffer.from('replica')]);
});
