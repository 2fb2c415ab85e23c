// Password mode against the test kit's fake MySQL 8 server: caching_sha2_password full auth
// with RSA over a leg without TLS (MariaDB has no server side of caching_sha2, and MySQL 8 is not
// in Debian), and secrets read from password_file / password_env at each login, so a rotated
// secret applies to the next session without a restart.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { createAudit, DatabaseSchema } from '@gatehouse/common';
import { parseErrPacket } from '@gatehouse/mysql-protocol';
import { type FakeMysqlServer, fakeServerRsaKeys, startFakeMysqlServer } from '@gatehouse/testing';
import pino from 'pino';
import { type RelayCounters, startSession, ThreadRegistry } from '../../src/index.js';
import { createTestCluster, makeRole, makeUser, type TestCluster } from './cluster-fixture.js';
import { appStreamHeader, CLIENT_CAPS, readOnePacket } from './session-fixture.js';
import { createTunnelPair } from './tunnel-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-password-mode-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function setUp(
  t: TestContext,
  auth: Record<string, unknown>,
): Promise<{ server: FakeMysqlServer; login(): Promise<Buffer> }> {
  const server = await startFakeMysqlServer({ users: { app: 'rotated-secret' } });
  t.after(() => server.close());
  const cluster: TestCluster = await createTestCluster(t);
  cluster.setRoles([makeRole('dev', { allow: { db_labels: { env: 'dev' }, db_users: ['app'], db_names: ['*'] } })]);
  cluster.setUsers([makeUser('alice', ['dev'])]);
  const cert = await cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'mysql8', dbUser: 'app' });
  const database = DatabaseSchema.parse({
    name: 'mysql8',
    uri: `127.0.0.1:${server.port}`,
    labels: { env: 'dev' },
    tls: { mode: 'disable' },
    auth: { mode: 'password', ...auth },
  });
  const counters: RelayCounters = { bytesFromClient: 0, bytesToClient: 0, commands: 0, deniedCommands: 0 };
  const deps = {
    engineId: 'engine-test',
    database,
    cluster,
    signer: cluster,
    audit: createAudit({ sink: cluster.auditSink }),
    threads: new ThreadRegistry(),
    counters,
    log: pino({ level: 'silent' }),
  };
  let n = 0;
  return {
    server,
    async login() {
      const pair = createTunnelPair((incoming) => startSession(incoming, deps));
      t.after(() => pair.close());
      const header = appStreamHeader(`pw-${++n}`, 'mysql8', cert);
      const stream = await pair.proxy.openStream(header);
      const { payload } = await readOnePacket(stream);
      stream.destroy();
      return payload;
    },
  };
}

test('caching_sha2_password full auth with RSA over a plaintext leg, the server key asked for', async (t) => {
  process.env.GH_TEST_FAKE_PW = 'rotated-secret';
  const { server, login } = await setUp(t, { credentials: { app: { password_env: 'GH_TEST_FAKE_PW' } } });
  assert.equal((await login())[0], 0x00);
  assert.equal((await login())[0], 0x00);
  assert.deepEqual(
    server.logins().map((l) => [l.user, l.path, l.tls]),
    [
      ['app', 'full', false],
      ['app', 'fast', false],
    ],
  );
});

test('caching_sha2_password full auth with a pinned server key (auth.server_public_key_file)', async (t) => {
  const keyFile = join(dir, 'server-key.pem');
  writeFileSync(keyFile, fakeServerRsaKeys().publicPem);
  process.env.GH_TEST_FAKE_PW = 'rotated-secret';
  const { server, login } = await setUp(t, {
    credentials: { app: { password_env: 'GH_TEST_FAKE_PW' } },
    server_public_key_file: keyFile,
  });
  assert.equal((await login())[0], 0x00);
  assert.deepEqual(
    server.logins().map((l) => l.path),
    ['full'],
  );
  // A wrong pinned key: the server cannot decrypt the password and refuses the login.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  writeFileSync(keyFile, other.export({ type: 'spki', format: 'pem' }));
  server.clearAuthCache();
  const refused = parseErrPacket(await login(), CLIENT_CAPS);
  assert.equal(refused.kind, 'err');
  if (refused.kind === 'err') assert.equal(refused.errno, 1045);
});

test('password_file is read at each login: a rotated secret applies to the next session', async (t) => {
  const file = join(dir, 'app.pw');
  writeFileSync(file, 'old-secret\n');
  const { server, login } = await setUp(t, { credentials: { app: { password_file: file } } });
  const refused = parseErrPacket(await login(), CLIENT_CAPS);
  assert.equal(refused.kind, 'err');
  if (refused.kind === 'err') {
    assert.equal(refused.errno, 1045);
    assert.match(refused.message, /^Access denied/);
  }
  writeFileSync(file, 'rotated-secret\n');
  assert.equal((await login())[0], 0x00);
  assert.deepEqual(
    server.logins().map((l) => l.path),
    ['full'],
  );
});
