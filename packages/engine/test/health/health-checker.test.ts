import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatabaseSchema } from '@gatehouse/common';
import { createTestCa, startMariaDb } from '@gatehouse/testing';
import { checkDatabase } from '../../src/health/health-checker.js';

const db = await startMariaDb();
// MariaDB refuses a host no account matches (ERR 1130 instead of a greeting): make 127.0.0.1 known.
await db.sql(`CREATE USER '${db.uniqueName('health')}'@'127.0.0.1'`);

const database = (tls: Record<string, unknown>) =>
  DatabaseSchema.parse({ name: 'orders', uri: `127.0.0.1:${db.port}`, tls });

test('a health check negotiates TLS with the database settings and reports the protocol and cipher', async () => {
  const info = (
    await checkDatabase(database({ mode: 'verify-full', ca_file: db.ca.caFile, server_name: 'localhost' }), 5000)
  ).info;
  assert.equal(info.health, 'healthy', info.healthMessage);
  assert.match(info.tlsProtocol ?? '', /^TLSv1\.[23]$/);
  assert.match(info.tlsCipher ?? '', /^[A-Z0-9_-]+$/);
  const tls13 = (
    await checkDatabase(
      database({ mode: 'require', min_version: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }),
      5000,
    )
  ).info;
  assert.deepEqual(
    [tls13.health, tls13.tlsProtocol, tls13.tlsCipher],
    ['healthy', 'TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256'],
  );
});

test('with tls mode disable the check reports no TLS', async () => {
  const info = (await checkDatabase(database({ mode: 'disable' }), 5000)).info;
  assert.equal(info.health, 'healthy', info.healthMessage);
  assert.equal(info.tlsProtocol, undefined);
  assert.equal(info.tlsCipher, undefined);
});

test('a database sessions could not reach over TLS is unhealthy, with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-health-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const other = await createTestCa(dir, 'Not The Database CA');
  const wrongCa = (await checkDatabase(database({ mode: 'verify-ca', ca_file: other.caFile }), 5000)).info;
  assert.equal(wrongCa.health, 'unhealthy');
  assert.match(wrongCa.healthMessage ?? '', /not signed by a trusted CA/);
  // The version the greeting announced is not kept from a failed check (the checker keeps the last good one).
  assert.equal(wrongCa.serverVersion, '');
  const missing = (await checkDatabase(database({ mode: 'verify-ca', ca_file: join(dir, 'absent.pem') }), 5000)).info;
  assert.equal(missing.health, 'unhealthy');
  assert.match(missing.healthMessage ?? '', /cannot read tls\.ca_file .*absent\.pem \(ENOENT\)/);
});
