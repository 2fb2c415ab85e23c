import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { findCertificateExtension } from '../../src/identity/certificate-extension.js';
import { IDENTITY_EXTENSION_OID_DER } from '../../src/identity/identity-extension.js';
import { IdentityError } from '../../src/identity/index.js';
import { readSubjectNames } from '../../src/identity/subject-names.js';
import { makeCa, makeLeaf } from './test-certs.js';

const ca = await makeCa();
const der = await makeLeaf(ca, {
  user: 'ünïcode',
  roles: ['dev', 'ops'],
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2026-01-02T00:00:00Z'),
});

test('reads CN and each O from the subject DER, and finds the identity extension', () => {
  assert.deepEqual(readSubjectNames(der), { commonNames: ['ünïcode'], organizations: ['dev', 'ops'] });
  const ext = findCertificateExtension(der, IDENTITY_EXTENSION_OID_DER);
  assert.ok(ext);
  assert.equal(ext.critical, false);
  assert.equal(ext.value[0], 0x30);
  assert.equal(findCertificateExtension(der, Uint8Array.from([0x06, 0x03, 0x55, 0x1d, 0x11])), undefined); // no SAN
});

test('seeded fuzz: mutated certificates only ever raise IdentityError GH_ERR_CERT_MALFORMED', () => {
  const random = createSeededRandom(0xc3a7).next;
  let readable = 0;
  for (let i = 0; i < 5_000; i++) {
    const input = Uint8Array.from(der);
    for (let f = 0, n = 1 + Math.floor(random() * 3); f < n; f++)
      input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
    const cut = random() < 0.2 ? input.subarray(0, Math.floor(random() * input.length)) : input;
    for (const read of [() => readSubjectNames(cut), () => findCertificateExtension(cut, IDENTITY_EXTENSION_OID_DER)]) {
      try {
        read();
        readable++;
      } catch (err) {
        assert.ok(
          err instanceof IdentityError && err.code === 'GH_ERR_CERT_MALFORMED',
          `${Buffer.from(cut).toString('hex')}: ${String(err)}`,
        );
      }
    }
  }
  assert.ok(readable > 0);
});
