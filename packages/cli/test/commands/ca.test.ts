import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir, runGatectl } from '../gatectl-child.js';

const run = promisify(execFile);

test('ca init creates the three CAs once, honouring GATEHOUSE_DATA_DIR and --data-dir', async (t) => {
  const dir = await makeTempDir(t, 'gh-cli-ca-');
  const env = { GATEHOUSE_DATA_DIR: join(dir, 'from-env') };
  const first = await runGatectl(['ca', 'init'], { env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^TYPE\s+ALGORITHM\s+RESULT/);
  assert.equal(first.stdout.match(/ ecdsa-p256 {2}created /g)?.length, 3);
  const again = await runGatectl(['ca', 'init', '--format', 'json'], { env });
  assert.equal(again.code, 0);
  const rows = JSON.parse(again.stdout) as Array<{ type: string; created_now: boolean; fingerprint_sha256: string }>;
  assert.deepEqual(
    rows.map((r) => [r.type, r.created_now]),
    [
      ['user', false],
      ['host', false],
      ['db-client', false],
    ],
  );
  // --data-dir wins over the environment.
  const flagged = await runGatectl(
    ['ca', 'init', '--data-dir', join(dir, 'from-flag'), '--algorithm', 'rsa-2048', '--format', 'json'],
    { env },
  );
  assert.equal(flagged.code, 0, flagged.stderr);
  const rsa = JSON.parse(flagged.stdout) as Array<{ algorithm: string; created_now: boolean }>;
  assert.ok(rsa.every((r) => r.algorithm === 'rsa-2048' && r.created_now));
});

test('ca init and ca rotate refuse bad arguments with exit 2', async (t) => {
  const dir = await makeTempDir(t, 'gh-cli-ca-');
  const env = { GATEHOUSE_DATA_DIR: dir };
  const badAlgorithm = await runGatectl(['ca', 'init', '--algorithm', 'dsa-1024'], { env });
  assert.equal(badAlgorithm.code, 2);
  assert.match(badAlgorithm.stderr, /--algorithm must be one of ecdsa-p256, rsa-2048/);
  const noType = await runGatectl(['ca', 'rotate', '--grace', '1h'], { env });
  assert.equal(noType.code, 2);
  assert.match(noType.stderr, /--type is required/);
  const badType = await runGatectl(['ca', 'rotate', '--type', 'server', '--grace', '1h'], { env });
  assert.equal(badType.code, 2);
  assert.match(badType.stderr, /--type must be one of user, host, db-client/);
  const badGrace = await runGatectl(['ca', 'rotate', '--type', 'user', '--grace', 'soon'], { env });
  assert.equal(badGrace.code, 2);
  assert.match(badGrace.stderr, /--grace: invalid duration 'soon'/);
});

test('ca rotate and auth export on a data dir without CAs exit 1 and say to run ca init', async (t) => {
  const dir = await makeTempDir(t, 'gh-cli-ca-');
  for (const args of [
    ['ca', 'rotate', '--type', 'user', '--grace', '1h'],
    ['auth', 'export', '--type', 'user'],
    ['ca', 'ls'],
  ]) {
    const r = await runGatectl([...args, '--data-dir', dir]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /run 'gatectl ca init'/);
  }
});

test('ca rotate keeps the old CA in the exported bundle for the grace period; auth export output is what openssl reads', async (t) => {
  const dir = await makeTempDir(t, 'gh-cli-ca-');
  const env = { GATEHOUSE_DATA_DIR: join(dir, 'data') };
  assert.equal((await runGatectl(['ca', 'init'], { env })).code, 0);
  const before = await runGatectl(['auth', 'export', '--type', 'db-client'], { env });
  assert.equal(before.code, 0);
  assert.equal(before.stdout.match(/-----BEGIN CERTIFICATE-----/g)?.length, 1);
  const bundle = join(dir, 'db-client.pem');
  await writeFile(bundle, before.stdout);
  const { stdout: subject } = await run('openssl', ['x509', '-in', bundle, '-noout', '-subject']);
  assert.match(subject, /CN ?= ?Gatehouse db-client CA/);

  const rotated = await runGatectl(['ca', 'rotate', '--type', 'db-client', '--grace', '2h'], { env });
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /db-client +[0-9a-f]{16} +ecdsa-p256 +active/);
  assert.match(rotated.stdout, /db-client +[0-9a-f]{16} +ecdsa-p256 +trusted until 20\d\d-/);
  assert.match(rotated.stdout, /update every database's ssl-ca/);
  const after = await runGatectl(['auth', 'export', '--type', 'db-client'], { env });
  assert.equal(after.stdout.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
  assert.ok(after.stdout.includes(before.stdout.trim()), 'the old CA is still in the bundle');

  const listed = await runGatectl(['ca', 'ls', '--format', 'json'], { env });
  const cas = JSON.parse(listed.stdout) as Array<{ type: string; status: string; trusted_until?: string }>;
  assert.deepEqual(
    cas.filter((c) => c.type === 'db-client').map((c) => c.status),
    ['active', 'grace'],
  );
  const exported = await runGatectl(['auth', 'export', '--type', 'user', '--format', 'json'], { env });
  assert.match((JSON.parse(exported.stdout) as Array<{ pem: string }>)[0]!.pem, /^-----BEGIN CERTIFICATE-----/);
  const missingType = await runGatectl(['auth', 'export'], { env });
  assert.equal(missingType.code, 2);
});
