// An ERR the database sends at login reaches the client verbatim (errno, SQLSTATE and text, as
// direct), while the audit event says which database service and address refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { connectMysql2 } from './support/clients.js';
import { type Cluster, startCluster } from './support/cluster.js';

let cluster: Cluster;

before(async () => {
  cluster = await startCluster({ shape: 'single' });
  const add = await cluster.gatectl(['users', 'add', 'lena', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
  assert.equal(add.code, 0, add.stderr);
  // A grant on the pattern, so the server answers "Unknown database" rather than "Access denied".
  await cluster.db.sql("GRANT SELECT ON `reports\\_%`.* TO 'app_rw'@'%'");
});
after(async () => {
  await cluster?.stop();
});

interface LoginError {
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly message: string;
}

async function loginError(connect: () => Promise<mysql.Connection>): Promise<LoginError> {
  try {
    const conn = await connect();
    await conn.end();
  } catch (err) {
    const e = err as { errno?: number; sqlState?: string; message: string };
    return { errno: e.errno, sqlState: e.sqlState, message: e.message };
  }
  assert.fail('the login should have been refused');
}

test("login with an unknown database: the server's errno, SQLSTATE and text, as direct", async () => {
  // The role allows reports_*; the server has no such schema, so the refusal is the server's.
  const database = 'reports_nosuch';
  const direct = await cluster.db.issueClientCert('app_rw');
  const expected = await loginError(() =>
    mysql.createConnection({
      host: '127.0.0.1',
      port: cluster.db.port,
      user: 'app_rw',
      database,
      ssl: {
        ca: cluster.db.ca.caPem,
        cert: readFileSync(direct.certFile, 'utf8'),
        key: readFileSync(direct.keyFile, 'utf8'),
      },
    }),
  );
  assert.deepEqual(
    { errno: expected.errno, sqlState: expected.sqlState },
    { errno: 1049, sqlState: '42000' },
    JSON.stringify(expected),
  );
  const certs = await cluster.signUser('lena', { dbUser: 'app_rw', dbName: 'app' });
  const through = await loginError(() => connectMysql2(cluster, certs, { database }));
  assert.deepEqual(through, expected);

  // The audit event carries what the gateway knows on top: the service and the address.
  const out = await cluster.gatectl([
    'audit',
    'search',
    '--user',
    'lena',
    '--type',
    'db.session.start',
    '--format',
    'json',
  ]);
  assert.equal(out.code, 0, out.stderr);
  const events = JSON.parse(out.stdout) as Array<{ success: boolean; error?: { errno?: number; message?: string } }>;
  const refused = events.find((e) => e.success === false);
  assert.equal(refused?.error?.errno, 1049);
  assert.match(
    refused?.error?.message ?? '',
    new RegExp(`database '${cluster.dbService}'.*127\\.0\\.0\\.1:${cluster.db.port}`),
  );
  assert.ok(refused?.error?.message?.includes(expected.message), refused?.error?.message);
});
