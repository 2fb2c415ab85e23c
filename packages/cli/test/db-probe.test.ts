import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestCa, findFreePort, startFakeMysqlServer, startMariaDb } from '@gatehouse/testing';
import { type RunResult, runGatectl } from './gatectl-child.js';

function probe(...args: string[]): Promise<RunResult> {
  return runGatectl(['db', 'probe', ...args]);
}

const db = await startMariaDb();
// MariaDB refuses a host no account matches (ERR 1130 instead of a greeting): make 127.0.0.1 known.
await db.sql(`CREATE USER '${db.uniqueName('probe')}'@'127.0.0.1'`);

test('gatectl db probe prints the version the harness MariaDB reports, the TLS it negotiates, and the time taken', async () => {
  const r = await probe(`127.0.0.1:${db.port}`);
  assert.equal(r.code, 0, r.stderr);
  const [row] = await db.sql('SELECT VERSION() AS v');
  const [announced, tls, timing] = r.stdout.trimEnd().split('\t');
  assert.ok(announced === row!.v || announced === `5.5.5-${row!.v}`, `${announced} vs ${row!.v}`);
  assert.match(tls!, /^TLSv1\.[23] [A-Z0-9_-]+$/);
  assert.match(timing!, new RegExp(`^\\(127\\.0\\.0\\.1:${db.port}, \\d+\\.\\d ms\\)$`));
  const json = await probe(`127.0.0.1:${db.port}`, '--format', 'json');
  const parsed = JSON.parse(json.stdout) as { version: string; tls: { protocol: string; cipher: string } };
  assert.equal(parsed.version, announced);
  assert.equal(`${parsed.tls.protocol} ${parsed.tls.cipher}`, tls);
});

test('gatectl db probe verifies the server with --tls-ca and reports no TLS with --tls-mode disable', async (t) => {
  const verified = await probe(`127.0.0.1:${db.port}`, '--tls-ca', db.ca.caFile, '--format', 'json');
  assert.equal(verified.code, 0, verified.stderr);
  assert.match((JSON.parse(verified.stdout) as { tls: { protocol: string } }).tls.protocol, /^TLSv1\.[23]$/);
  const plain = await probe(`127.0.0.1:${db.port}`, '--tls-mode', 'disable');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout.split('\t')[1], 'no TLS');
  // A CA that did not sign the server's certificate: the probe says so.
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-probe-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const other = await createTestCa(dir, 'Some Other CA');
  const wrongCa = await probe(`127.0.0.1:${db.port}`, '--tls-ca', other.caFile);
  assert.equal(wrongCa.code, 1);
  assert.match(wrongCa.stderr, /not signed by a trusted CA/);
});

test('gatectl db probe against a closed port exits 1 saying the connection was refused', async () => {
  const port = await findFreePort();
  const r = await probe(`127.0.0.1:${port}`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
});

test('gatectl db probe against a server that sends ERR first exits 1 with the server message', async (t) => {
  const fake = await startFakeMysqlServer({
    errFirst: { errno: 1129, message: "Host '127.0.0.1' is blocked because of many connection errors" },
  });
  t.after(() => fake.close());
  const r = await probe(`127.0.0.1:${fake.port}`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ERROR 1129 .*is blocked because of many connection errors/);
});

test('gatectl db probe with a malformed address is a usage error (exit 2)', async () => {
  const r = await probe('not an address:port');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not an address/);
});
