import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { verifyIdentity } from '@gatehouse/common';
import { makeTempDir, runGatectl } from '../gatectl-child.js';

const run = promisify(execFile);

const ROLE = `kind: role
name: dev
options: { max_session_ttl: 2h }
allow: { db_labels: { '*': '*' }, db_users: ['{{internal.db_users}}'], db_names: ['*'] }
`;

// One data dir for the file: every test writes under its own prefix, and gatectl runs are slow
// enough on a shared machine that repeating the setup per test would dominate the run.
async function setUp(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await makeTempDir({ after: (fn) => test.after(fn) }, 'gh-cli-sign-');
  const env = { GATEHOUSE_DATA_DIR: join(dir, 'data') };
  await writeFile(join(dir, 'dev.yaml'), ROLE);
  for (const args of [
    ['ca', 'init'],
    ['roles', 'create', '-f', join(dir, 'dev.yaml')],
    ['users', 'add', 'alice', '--roles', 'dev', '--db-users', 'app_ro,alice', '--db-names', 'shop'],
    ['users', 'add', 'bob', '--roles', 'dev'],
    ['lock', '--user', 'bob', '--message', 'on leave'],
  ]) {
    const r = await runGatectl(args, { env });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  return { dir, env };
}

const { dir, env } = await setUp();
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

test('auth sign writes crt, key (0600) and the host CA bundle, and prints how to connect', async () => {
  const prefix = join(dir, 'alice-pem');
  const r = await runGatectl(
    [
      'auth',
      'sign',
      '--user',
      'alice',
      '--db',
      'orders',
      '--db-user',
      'app_ro',
      '--db-name',
      'shop',
      '--ttl',
      '90m',
      '--out',
      prefix,
      '--proxy-mysql',
      'gw.example.com:3036',
    ],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await stat(`${prefix}.key`)).mode & 0o777, 0o600);
  assert.equal(
    await readFile(`${prefix}.cas`, 'utf8'),
    (await runGatectl(['auth', 'export', '--type', 'host'], { env })).stdout,
  );
  assert.ok(
    r.stdout.includes(
      `mariadb --host gw.example.com --port 3036 --user app_ro --ssl-ca ${prefix}.cas --ssl-cert ${prefix}.crt --ssl-key ${prefix}.key --ssl-verify-server-cert shop`,
    ),
  );
  assert.ok(r.stdout.includes(`mysql --host gw.example.com --port 3036 --user app_ro --ssl-mode=VERIFY_IDENTITY`));
  assert.match(
    r.stdout,
    /\[client\]\nhost=gw\.example\.com\nport=3036\nuser=app_ro\ndatabase=shop\nssl-ca=.*\nssl-cert=.*\nssl-key=.*\nskip-password\n/,
  );
  assert.match(r.stdout, /valid until .* \(about 1h30m\)/);

  const userCa = join(dir, 'user-ca.pem');
  await writeFile(userCa, (await runGatectl(['auth', 'export', '--type', 'user'], { env })).stdout);
  const { stdout } = await run('openssl', ['verify', '-CAfile', userCa, `${prefix}.crt`]);
  assert.match(stdout, /OK/);
  const { stdout: der } = await run('openssl', ['x509', '-in', `${prefix}.crt`, '-outform', 'DER'], {
    encoding: 'buffer',
  });
  const identity = await verifyIdentity([new Uint8Array(der)], {
    trusted: [{ certificate: await readFile(userCa, 'utf8') }],
  });
  assert.deepEqual(identity.route, { dbService: 'orders', dbUser: 'app_ro', dbName: 'shop' });
  assert.deepEqual(identity.traits, { dbUsers: ['app_ro', 'alice'], dbNames: ['shop'] });
  assert.deepEqual(identity.roles, ['dev']);
});

test('auth sign refuses a TTL beyond the roles cap, an unknown user and a locked user with exit 1', async () => {
  const tooLong = await runGatectl(
    ['auth', 'sign', '--user', 'alice', '--db', 'orders', '--ttl', '3h', '--out', join(dir, 'a')],
    { env },
  );
  assert.equal(tooLong.code, 1);
  assert.match(tooLong.stderr, /TTL 3h exceeds the max_session_ttl of 2h set by the roles of 'alice'/);
  assert.equal(await exists(join(dir, 'a.crt')), false);
  const unknown = await runGatectl(['auth', 'sign', '--user', 'carol', '--db', 'orders', '--out', join(dir, 'c')], {
    env,
  });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /user 'carol' does not exist/);
  const locked = await runGatectl(['auth', 'sign', '--user', 'bob', '--db', 'orders', '--out', join(dir, 'b')], {
    env,
  });
  assert.equal(locked.code, 1);
  assert.match(locked.stderr, /user 'bob' is locked: on leave; no certificate was issued/);
  assert.equal(await exists(join(dir, 'b.key')), false);
});

test('auth sign without --ttl takes the roles cap when it is below 8h', async () => {
  const r = await runGatectl(['auth', 'sign', '--user', 'alice', '--db', 'orders', '--out', join(dir, 'x')], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(about 2h\)/);
  assert.match(r.stdout, /--user DB_USER/);
});

test('auth sign usage errors exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['auth', 'sign', '--user', 'alice', '--db', 'orders'], /--out is required/],
    [['auth', 'sign', '--user', 'alice', '--out', join(dir, 'y')], /--db is required/],
    [
      ['auth', 'sign', '--user', 'alice', '--db', 'o', '--out', join(dir, 'y'), '--format', 'der'],
      /--format must be pem or p12/,
    ],
    [
      ['auth', 'sign', '--user', 'alice', '--db', 'o', '--out', join(dir, 'y'), '--ttl', 'forever'],
      /--ttl: invalid duration/,
    ],
    [
      ['auth', 'sign', '--user', 'alice', '--db', 'o', '--out', join(dir, 'y'), '--proxy-mysql', 'nohost'],
      /--proxy-mysql must be HOST:PORT/,
    ],
    [['auth', 'sign', '--user', 'alice', '--db', 'o', '--out', join(dir, 'y'), '--bogus'], /Unknown option '--bogus'/],
  ];
  const results = await Promise.all(cases.map(([args]) => runGatectl(args, { env })));
  cases.forEach(([args, message], i) => {
    assert.equal(results[i]!.code, 2, args.join(' '));
    assert.match(results[i]!.stderr, message);
  });
});

test('auth sign --format p12 writes a password-protected PKCS#12 that openssl opens', async () => {
  const prefix = join(dir, 'alice-p12');
  const r = await runGatectl(
    ['auth', 'sign', '--user', 'alice', '--db', 'orders', '--db-user', 'app_ro', '--out', prefix, '--format', 'p12'],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await stat(`${prefix}.p12`)).mode & 0o777, 0o600);
  assert.equal((await stat(`${prefix}.p12.pass`)).mode & 0o777, 0o600);
  assert.equal(await exists(`${prefix}.key`), false);
  assert.match(r.stdout, new RegExp(`the PKCS#12 password is in ${prefix.replaceAll('/', '\\/')}\\.p12\\.pass`));
  assert.match(r.stdout, /jdbc:mariadb:\/\/localhost:3036\/\?user=app_ro&sslMode=verify-full/);
  const { stdout } = await run('openssl', [
    'pkcs12',
    '-in',
    `${prefix}.p12`,
    '-passin',
    `file:${prefix}.p12.pass`,
    '-nokeys',
    '-clcerts',
  ]);
  assert.match(stdout, /subject=.*CN ?= ?alice/);
  const { stdout: key } = await run('openssl', [
    'pkcs12',
    '-in',
    `${prefix}.p12`,
    '-passin',
    `file:${prefix}.p12.pass`,
    '-nocerts',
    '-nodes',
  ]);
  assert.match(key, /BEGIN PRIVATE KEY/);
  await assert.rejects(run('openssl', ['pkcs12', '-in', `${prefix}.p12`, '-passin', 'pass:wrong', '-nokeys']));

  const fromEnv = await runGatectl(
    [
      'auth',
      'sign',
      '--user',
      'alice',
      '--db',
      'orders',
      '--out',
      join(dir, 'env'),
      '--format',
      'p12',
      '--p12-password-env',
      'P12_PW',
    ],
    { env: { ...env, P12_PW: 'correct horse' } },
  );
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.equal(await exists(join(dir, 'env.p12.pass')), false);
  const { stdout: viaEnv } = await run('openssl', [
    'pkcs12',
    '-in',
    join(dir, 'env.p12'),
    '-passin',
    'pass:correct horse',
    '-nokeys',
    '-clcerts',
  ]);
  assert.match(viaEnv, /CN ?= ?alice/);
  const unset = await runGatectl(
    [
      'auth',
      'sign',
      '--user',
      'alice',
      '--db',
      'o',
      '--out',
      join(dir, 'z'),
      '--format',
      'p12',
      '--p12-password-env',
      'NOPE',
    ],
    { env },
  );
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /NOPE is empty or unset/);
});

test('auth sign --db-role puts the backend role in the identity extension; a bad role is a usage error', async () => {
  const prefix = join(dir, 'alice-replica');
  const r = await runGatectl(
    ['auth', 'sign', '--user', 'alice', '--db', 'shop', '--db-role', 'replica', '--out', prefix],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const userCa = (await runGatectl(['auth', 'export', '--type', 'user'], { env })).stdout;
  const { stdout: der } = await run('openssl', ['x509', '-in', `${prefix}.crt`, '-outform', 'DER'], {
    encoding: 'buffer',
  });
  const identity = await verifyIdentity([new Uint8Array(der)], { trusted: [{ certificate: userCa }] });
  assert.deepEqual(identity.route, { dbService: 'shop', dbRole: 'replica' });
  const bad = await runGatectl(
    ['auth', 'sign', '--user', 'alice', '--db', 'shop', '--db-role', 'leader', '--out', join(dir, 'bad-role')],
    { env },
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--db-role must be primary or replica, not 'leader'/);
  assert.equal(await exists(join(dir, 'bad-role.crt')), false);
});
