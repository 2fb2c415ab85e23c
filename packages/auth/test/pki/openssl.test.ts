// Issued certificates checked by openssl, which knows nothing of our code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { IDENTITY_EXTENSION_OID, verifyIdentity } from '@gatehouse/common';
import { ensureAuthorities, issueDbClientCert, issueHostCert, issueUserCert } from '../../src/index.js';

const run = promisify(execFile);
const openssl = async (...args: string[]): Promise<string> => (await run('openssl', args)).stdout;

const dir = await mkdtemp(join(tmpdir(), 'gh-openssl-'));
test.after(() => rm(dir, { recursive: true, force: true }));
const auth = await ensureAuthorities(join(dir, 'data'));

async function save(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test('a user cert passes openssl verify against the user CA and shows the identity extension OID', async () => {
  const issued = await issueUserCert(await auth.signer('user'), {
    user: 'alice',
    roles: ['dev', 'ops'],
    dbService: 'orders',
    dbUser: 'app_ro',
    dbName: 'shop',
    dbUsers: ['app_ro'],
    dbNames: ['shop'],
  });
  const caFile = await save('user-ca.pem', auth.exportPem('user'));
  const certFile = await save('alice.crt', issued.certificate);
  assert.match(await openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile), /alice\.crt: OK/);
  const text = await openssl('x509', '-in', certFile, '-noout', '-text');
  assert.ok(text.includes(`${IDENTITY_EXTENSION_OID}:`), 'extension OID in openssl -text');
  assert.doesNotMatch(text, new RegExp(`${IDENTITY_EXTENSION_OID.replaceAll('.', '\\.')}: critical`));
  assert.match(text, /TLS Web Client Authentication/);
  assert.match(
    await openssl('x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253'),
    /subject=O=ops,O=dev,CN=alice/,
  );
  // 8h by default.
  const ttl = issued.notAfter.getTime() - Date.now();
  assert.ok(ttl > 7.9 * 3_600_000 && ttl <= 8 * 3_600_000, `ttl ${ttl}`);
  const id = await verifyIdentity([new Uint8Array(issued.cert.rawData)], { trusted: auth.trustedCas('user') });
  assert.deepEqual(id.route, { dbService: 'orders', dbUser: 'app_ro', dbName: 'shop' });
  assert.deepEqual(id.roles, ['dev', 'ops']);
});

test('a host cert carries its DNS and IP SANs and verifies for server and client use', async () => {
  const issued = await issueHostCert(await auth.signer('host'), {
    name: 'proxy-1',
    sans: ['localhost', 'proxy.example.com', '127.0.0.1', '::1'],
  });
  const caFile = await save('host-ca.pem', auth.exportPem('host'));
  const certFile = await save('proxy.crt', issued.certificate);
  assert.match(await openssl('verify', '-CAfile', caFile, '-purpose', 'sslserver', certFile), /OK/);
  assert.match(await openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile), /OK/);
  const sans = await openssl('x509', '-in', certFile, '-noout', '-ext', 'subjectAltName');
  assert.match(sans, /DNS:localhost, DNS:proxy\.example\.com, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  assert.match(await openssl('verify', '-CAfile', caFile, '-verify_hostname', 'proxy.example.com', certFile), /OK/);
});

test('a db-client cert has CN=<db user>, verifies against the exported db-client CA, and never outlives its bound', async () => {
  const bound = new Date(Date.now() + 10 * 60_000);
  const issued = await issueDbClientCert(await auth.signer('db-client'), { dbUser: 'alice', notAfter: bound });
  assert.ok(issued.notAfter.getTime() <= bound.getTime());
  const caFile = await save('db-client-ca.pem', auth.exportPem('db-client'));
  const certFile = await save('db-alice.crt', issued.certificate);
  assert.match(await openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile), /OK/);
  assert.match(
    await openssl('x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253'),
    /^subject=CN=alice$/m,
  );
  // The user CA does not vouch for it.
  const userCa = await save('user-ca-2.pem', auth.exportPem('user'));
  await assert.rejects(openssl('verify', '-CAfile', userCa, certFile));
});

test('the private key written for a leaf matches its certificate', async () => {
  const issued = await issueDbClientCert(await auth.signer('db-client'), {
    dbUser: 'bob',
    notAfter: new Date(Date.now() + 60_000),
  });
  const keyFile = await save('bob.key', issued.privateKey);
  const certFile = await save('bob.crt', issued.certificate);
  const fromKey = await openssl('pkey', '-in', keyFile, '-pubout');
  const fromCert = await openssl('x509', '-in', certFile, '-noout', '-pubkey');
  assert.equal(fromKey, fromCert);
});
