import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type ConnectUpstreamOptions,
  connectUpstream,
  MysqlConnectError,
  MysqlServerError,
  MysqlTlsError,
  type UpstreamConnection,
} from '@gatehouse/mysql-protocol';
import { findFreePort, startMariaDb } from '@gatehouse/testing';
import { simpleQuery } from './helpers.js';

const db = await startMariaDb();
const tcp = { kind: 'tcp', host: '127.0.0.1', port: db.port } as const;

async function login(
  t: { after(fn: () => void): void },
  options: Omit<ConnectUpstreamOptions, 'address'> & { address?: ConnectUpstreamOptions['address'] },
): Promise<UpstreamConnection> {
  const conn = await connectUpstream({ address: tcp, timeoutMs: 10_000, ...options });
  t.after(() => conn.socket.destroy());
  return conn;
}

async function currentUser(conn: UpstreamConnection): Promise<string> {
  const result = await simpleQuery(
    conn.socket,
    conn.leftover,
    'SELECT CURRENT_USER(), @@ssl_cipher IS NOT NULL AND @@ssl_cipher <> ""',
  );
  assert.equal(result.error, undefined);
  return result.rows[0]![0]!;
}

const nativeUser = db.uniqueName('native');
const edUser = db.uniqueName('ed');
const x509User = db.uniqueName('x509');
await db.sql(`CREATE USER '${nativeUser}'@'%' IDENTIFIED BY 'n4tive-pw'`);
await db.sql(
  `CREATE USER '${edUser}'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('ed-pässword, long enough to exceed thirty-two bytes')`,
);
const schema = db.uniqueName('schema');
await db.sql(
  `CREATE USER '${x509User}'@'%' REQUIRE SUBJECT '/CN=${x509User}'; CREATE DATABASE ${schema}; GRANT ALL ON ${schema}.* TO '${x509User}'@'%'`,
);
const ca = db.ca.caPem;

test('native password login without TLS, session usable, version and thread id reported', async (t) => {
  const conn = await login(t, { user: nativeUser, password: 'n4tive-pw', tls: { mode: 'disable' } });
  assert.equal(conn.authPlugin, 'mysql_native_password');
  assert.equal(conn.tls, false);
  assert.ok(conn.serverVersion.includes(db.version), `${conn.serverVersion} should contain ${db.version}`);
  const r = await simpleQuery(conn.socket, conn.leftover, 'SELECT CONNECTION_ID()');
  assert.equal(Number(r.rows[0]![0]), conn.connectionId);
});

test('native password login over a unix socket', async (t) => {
  const conn = await login(t, {
    address: { kind: 'unix', path: db.socketPath },
    user: nativeUser,
    password: 'n4tive-pw',
  });
  assert.equal(await currentUser(conn), `${nativeUser}@%`);
});

test('client_ed25519 login (AuthSwitch from the default plugin) against the real server', async (t) => {
  const conn = await login(t, {
    user: edUser,
    password: 'ed-pässword, long enough to exceed thirty-two bytes',
    tls: { mode: 'verify-ca', ca },
  });
  assert.equal(conn.authPlugin, 'client_ed25519');
  assert.equal(await currentUser(conn), `${edUser}@%`);
});

test('client_ed25519 with a wrong password is denied with errno 1045', async () => {
  await assert.rejects(
    connectUpstream({ address: tcp, user: edUser, password: 'nope', tls: { mode: 'require' } }),
    (err) => {
      assert.ok(err instanceof MysqlServerError);
      assert.equal(err.errno, 1045);
      return true;
    },
  );
});

test('x509 REQUIRE SUBJECT user logs in with a client certificate', async (t) => {
  const files = await db.issueClientCert(x509User);
  const tls = {
    mode: 'verify-full',
    ca,
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
  } as const;
  const conn = await login(t, {
    user: x509User,
    tls,
    database: schema,
    attributes: new Map([['program_name', 'gatehouse-test']]),
  });
  assert.equal(conn.tls, true);
  const r = await simpleQuery(conn.socket, conn.leftover, 'SELECT CURRENT_USER(), DATABASE()');
  assert.deepEqual(r.rows[0], [`${x509User}@%`, schema]);
});

test('x509 user without a client certificate is denied with 1045', async () => {
  await assert.rejects(connectUpstream({ address: tcp, user: x509User, tls: { mode: 'verify-ca', ca } }), (err) => {
    assert.ok(err instanceof MysqlServerError);
    assert.equal(err.errno, 1045);
    assert.equal(err.sqlState, '28000');
    assert.match(err.serverMessage, /Access denied/);
    return true;
  });
});

for (const mode of ['require', 'verify-ca', 'verify-full'] as const) {
  test(`TLS mode ${mode} negotiates TLS and logs in`, async (t) => {
    const conn = await login(t, {
      user: nativeUser,
      password: 'n4tive-pw',
      tls: { mode, ...(mode === 'require' ? {} : { ca }) },
    });
    assert.equal(conn.tls, true);
    assert.equal(conn.socket.constructor.name, 'TLSSocket');
    const r = await simpleQuery(conn.socket, conn.leftover, "SHOW STATUS LIKE 'Ssl_version'");
    assert.match(r.rows[0]![1]!, /^TLSv1\.[23]$/);
  });
}

test('verify-full accepts the localhost SAN and rejects a name the certificate lacks', async (t) => {
  const conn = await login(t, {
    user: nativeUser,
    password: 'n4tive-pw',
    tls: { mode: 'verify-full', ca, servername: 'localhost' },
  });
  assert.equal(conn.tls, true);
  await assert.rejects(
    connectUpstream({
      address: tcp,
      user: nativeUser,
      password: 'n4tive-pw',
      tls: { mode: 'verify-full', ca, servername: 'db.example.com' },
    }),
    (err) => err instanceof MysqlTlsError && /not valid for 'db.example.com'/.test(err.message),
  );
});

test('verify-ca without the right CA fails with a TLS error naming the cause', async () => {
  await assert.rejects(
    connectUpstream({ address: tcp, user: nativeUser, password: 'n4tive-pw', tls: { mode: 'verify-ca' } }),
    (err) => {
      assert.ok(err instanceof MysqlTlsError, String(err));
      assert.match(err.message, /not signed by a trusted CA/);
      return true;
    },
  );
});

test('a wrong password surfaces errno 1045 with the server message', async () => {
  await assert.rejects(
    connectUpstream({ address: tcp, user: nativeUser, password: 'wrong', tls: { mode: 'disable' } }),
    (err) => {
      assert.ok(err instanceof MysqlServerError);
      assert.equal(err.code, 'GH_ERR_MYSQL_SERVER_ERROR');
      assert.equal(err.errno, 1045);
      assert.equal(err.beforeHandshake, false);
      assert.match(err.message, new RegExp(`Access denied for user '${nativeUser}'`));
      return true;
    },
  );
});

test('a closed port fails with a connect error that says connection refused', async () => {
  const port = await findFreePort();
  await assert.rejects(connectUpstream({ address: { kind: 'tcp', host: '127.0.0.1', port }, user: 'x' }), (err) => {
    assert.ok(err instanceof MysqlConnectError);
    assert.match(err.message, /connection refused/);
    return true;
  });
});
