import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseHandshakeV10 } from '@gatehouse/mysql-protocol';
import { findExecutable, startMariaDb } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import {
  connectRaw,
  createCluster,
  describeServer,
  issueUserFiles,
  startStubEngine,
  startTestProxy,
  stubDatabase,
} from './proxy-kit.js';

const run = promisify(execFile);
const mariadb = await startMariaDb();
process.on('exit', () => void mariadb.stop());

async function mysql2Connect(
  port: number,
  hostCaPem: string,
  files: { cert: string; key: string },
  extra: Record<string, unknown> = {},
) {
  return mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: 'app',
    ssl: { ca: hostCaPem, cert: files.cert, key: files.key },
    ...extra,
  });
}

function expectMysqlError(errno: number, pattern: RegExp) {
  return (err: { errno?: number; message: string }) => {
    assert.equal(err.errno, errno, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

test('the greeting announces the version the registered database reports', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const reported = `5.5.5-${mariadb.version}`;
  await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1', { serverVersion: reported })]);
  const raw = await connectRaw(t, proxy.mysqlAddress.port);
  const greeting = parseHandshakeV10((await raw.readPacket()).payload);
  assert.equal(greeting.serverVersion, reported);
  assert.equal(greeting.authPluginName, 'caching_sha2_password');
  assert.ok(!greeting.authPluginData.includes(0), 'the scramble has no NUL');
  assert.equal(greeting.capabilities & 0x20, 0x20, 'compression (CLIENT_COMPRESS) is offered: the proxy does it');
});

test('mysql2 and the mariadb CLI log in with a Gatehouse certificate and run a query on the real MariaDB', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const engine = await startStubEngine(
    t,
    cluster,
    proxy,
    'engine-1',
    [await describeServer('db1', mariadb.socketPath)],
    {
      kind: 'upstream',
      socketPath: mariadb.socketPath,
    },
  );
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'app' });

  const conn = await mysql2Connect(proxy.mysqlAddress.port, cluster.hostCaPem, files, { password: 'ignored' });
  t.after(() => conn.destroy());
  const [rows] = await conn.query({ sql: 'SELECT VERSION() AS v, 6 * 7 AS answer', rowsAsArray: true });
  assert.deepEqual(rows, [[mariadb.version, 42]]);
  await conn.end();

  const client = findExecutable(['mariadb', 'mysql']);
  assert.ok(client, 'the mariadb client must be installed');
  const caFile = join(cluster.dir, 'host-ca.pem');
  await writeFile(caFile, cluster.hostCaPem);
  const { stdout } = await run(client, [
    '--no-defaults',
    '-h',
    '127.0.0.1',
    '-P',
    String(proxy.mysqlAddress.port),
    '-u',
    'app',
    '--batch',
    '--skip-column-names',
    `--ssl-ca=${caFile}`,
    `--ssl-cert=${files.certFile}`,
    `--ssl-key=${files.keyFile}`,
    '-e',
    'SELECT 40 + 2',
  ]);
  assert.equal(stdout.trim(), '42');
  assert.equal(engine.headers.length, 2);
  assert.equal(
    engine.headers[1]!.connectionAttributes._client_name !== undefined,
    true,
    'the CLI sends connection attributes',
  );
});

test('a client without SSL gets ERR 3159 and is closed', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  await assert.rejects(
    mysql.createConnection({ host: '127.0.0.1', port: proxy.mysqlAddress.port, user: 'app' }),
    expectMysqlError(3159, /insecure transport are prohibited/),
  );
});

test('certificates from another CA, expired ones and locked users get ERR 1045 with the reason', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const engine = await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const port = proxy.mysqlAddress.port;

  const foreign = await mariadb.issueClientCert('alice');
  await assert.rejects(
    mysql2Connect(port, cluster.hostCaPem, {
      cert: await readFile(foreign.certFile, 'utf8'),
      key: await readFile(foreign.keyFile, 'utf8'),
    }),
    expectMysqlError(1045, /not signed by a CA Gatehouse trusts/),
  );

  const expired = await issueUserFiles(cluster, 'expired', {
    now: new Date(Date.now() - 3 * 3_600_000),
    ttlMs: 3_600_000,
  });
  await assert.rejects(
    mysql2Connect(port, cluster.hostCaPem, expired),
    expectMysqlError(1045, /certificate expired at \d{4}-/),
  );

  const files = await issueUserFiles(cluster, 'alice');
  await cluster.store.lockUser({ user: 'alice', message: 'security review' });
  await assert.rejects(
    mysql2Connect(port, cluster.hostCaPem, files),
    expectMysqlError(1045, /user 'alice' is locked.*security review/),
  );
  assert.equal(engine.headers.length, 0, 'no session reached an engine');
  await cluster.store.unlockUser('alice');
  const conn = await mysql2Connect(port, cluster.hostCaPem, files);
  conn.destroy();
  assert.equal(engine.headers.length, 1);
});

test('the user and database in the HandshakeResponse override the certificate, and the header carries the session', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const engine = await startStubEngine(t, cluster, proxy, 'engine-1', [stubDatabase('db1')]);
  const files = await issueUserFiles(cluster, 'alice', { dbUser: 'cert_user', dbName: 'cert_db' });
  const port = proxy.mysqlAddress.port;

  const plain = await mysql2Connect(port, cluster.hostCaPem, files, { user: '' });
  plain.destroy();
  const overridden = await mysql2Connect(port, cluster.hostCaPem, files, { user: 'other_user', database: 'other_db' });
  overridden.destroy();

  const [first, second] = engine.headers;
  assert.deepEqual(first!.route, { dbService: 'db1', dbUser: 'cert_user', dbName: 'cert_db' });
  assert.deepEqual(second!.route, { dbService: 'db1', dbUser: 'other_user', dbName: 'other_db' });
  assert.equal(first!.clientAddress.host, '127.0.0.1');
  assert.notEqual(first!.sessionId, second!.sessionId);
  assert.equal(first!.clientCertChain[0]!.length > 0, true);
  assert.equal(first!.extensions?.proxyId, 'proxy-test');
  assert.equal(first!.extensions?.authPlugin, 'caching_sha2_password');
});

test('routing: no engine gives a clear ERR; a rejecting engine is skipped for the next one', async (t) => {
  const cluster = await createCluster(t);
  const proxy = await startTestProxy(t, cluster);
  const files = await issueUserFiles(cluster, 'alice', { dbService: 'db1', dbUser: 'app' });
  const port = proxy.mysqlAddress.port;
  await assert.rejects(
    mysql2Connect(port, cluster.hostCaPem, files),
    expectMysqlError(1105, /no engine serves database 'db1'/),
  );

  // The unhealthy engine sorts after the healthy one, so the rejecting one is always tried first.
  const rejecting = await startStubEngine(t, cluster, proxy, 'engine-a', [stubDatabase('db1')], {
    kind: 'reject',
    code: 'GH_ERR_ENGINE_NO_SUCH_DATABASE',
    message: 'db1 is not served here any more',
  });
  const working = await startStubEngine(t, cluster, proxy, 'engine-b', [stubDatabase('db1', { health: 'unhealthy' })]);
  const conn = await mysql2Connect(port, cluster.hostCaPem, files);
  conn.destroy();
  assert.equal(rejecting.headers.length, 1);
  assert.equal(working.headers.length, 1);

  working.behaviour = {
    kind: 'err',
    errno: 1045,
    sqlState: '28000',
    message: "role 'dev' does not allow db user 'root'",
  };
  await assert.rejects(
    mysql2Connect(port, cluster.hostCaPem, files),
    expectMysqlError(1045, /does not allow db user 'root'/),
  );
});
