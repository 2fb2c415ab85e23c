import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '@gatehouse/auth';
import { createDataDir } from '../gatectl-child.js';

/** Makes the cluster CAs with `gatectl ca init` and returns the exported host CA file. */
async function installHostCa(
  dir: string,
  gatectl: (...args: string[]) => Promise<{ code: number | null; stdout: string }>,
): Promise<string> {
  assert.equal((await gatectl('ca', 'init')).code, 0);
  const exported = await gatectl('auth', 'export', '--type', 'host');
  assert.equal(exported.code, 0);
  const caFile = join(dir, 'host-ca.pem');
  await writeFile(caFile, exported.stdout);
  return caFile;
}

/** The expected pin, computed by openssl rather than by the code under test. */
function opensslPin(caFile: string): string {
  const pub = execFileSync('openssl', ['x509', '-in', caFile, '-noout', '-pubkey']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

test('gatectl tokens add: prints a single-use token and the host CA pin; tokens ls lists it', async (t) => {
  const { dir, gatectl } = await createDataDir(t);
  const caFile = await installHostCa(dir, gatectl);
  const add = await gatectl('tokens', 'add', '--type', 'engine', '--ttl', '10m');
  assert.equal(add.code, 0, add.stderr);
  const token = /^token: +([0-9a-f]{64})$/m.exec(add.stdout)?.[1];
  assert.ok(token, add.stdout);
  assert.match(add.stdout, new RegExp(`^ca pin: +${opensslPin(caFile)}$`, 'm'));
  assert.match(add.stdout, new RegExp(`join: \\{ token: "${token}", ca_pin: "sha256:`));

  const json = JSON.parse((await gatectl('tokens', 'add', '--type', 'engine', '--format', 'json')).stdout) as {
    token: string;
    id: string;
    expires: string;
    ca_pin: string;
  };
  assert.equal(json.ca_pin, opensslPin(caFile));
  const expiresIn = Date.parse(json.expires) - Date.now();
  assert.ok(expiresIn > 50 * 60_000 && expiresIn <= 3_600_000, 'the default TTL is 1h');

  const ls = await gatectl('tokens', 'ls', '--format', 'json');
  const listed = JSON.parse(ls.stdout) as Array<{ id: string; expired: boolean }>;
  assert.equal(listed.length, 2);
  assert.ok(listed.some((x) => x.id === json.id));
  assert.ok(!ls.stdout.includes(json.token), 'listings never show secrets');
  const table = await gatectl('tokens', 'ls');
  assert.match(table.stdout, /^ID\s+TYPE\s+EXPIRES\s+STATE\n/);

  // The token printed is the one the store redeems, once.
  const store = await openStore({ dataDir: join(dir, 'data') });
  assert.equal((await store.consumeToken(token)).type, 'engine');
  await assert.rejects(store.consumeToken(token), { code: 'GH_ERR_TOKEN_INVALID' });
});

test('gatectl tokens add: refuses without a host CA, and on usage errors', async (t) => {
  const { gatectl } = await createDataDir(t);
  const noCa = await gatectl('tokens', 'add', '--type', 'engine');
  assert.equal(noCa.code, 1);
  assert.match(noCa.stderr, /CA does not exist in .*; run 'gatectl ca init'/);
  assert.deepEqual(JSON.parse((await gatectl('tokens', 'ls', '--format', 'json')).stdout), [], 'no token was created');
  for (const [args, message] of [
    [['tokens', 'add'], /--type must be one of: engine/],
    [['tokens', 'add', '--type', 'proxy'], /--type must be one of: engine/],
    [['tokens', 'add', '--type', 'engine', '--ttl', 'soon'], /--ttl: invalid duration 'soon'/],
    [['tokens', 'add', '--type', 'engine', '--ttl', '0s'], /--ttl must be positive/],
  ] as Array<[string[], RegExp]>) {
    const r = await gatectl(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
