import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectUpstream, MysqlServerError } from '@gatehouse/mysql-protocol';
import { createTestCa, type FakeMysqlServerOptions, startFakeMysqlServer, waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { simpleQuery } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sha2-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const ca = await createTestCa(dir);
const serverFiles = await ca.issue({
  name: 'fake',
  subject: '/CN=localhost',
  sans: ['DNS:localhost', 'IP:127.0.0.1'],
  usage: 'server',
});
const tls = { key: readFileSync(serverFiles.keyFile), cert: readFileSync(serverFiles.certFile) };
const users = { alice: 'söme long pässword', bob: 'short' };
const queries = { 'SELECT 1': { kind: 'rows', columns: ['1'], rows: [['1']] } } as const;

async function fake(t: { after(fn: () => Promise<void>): void }, extra: Partial<FakeMysqlServerOptions> = {}) {
  const server = await startFakeMysqlServer({ users, queries, tls, ...extra });
  t.after(() => server.close());
  return server;
}

test('our client: full auth over plaintext via RSA key retrieval, then fast auth from the cache', async (t) => {
  const server = await fake(t);
  for (const expected of ['full', 'fast']) {
    const conn = await connectUpstream({
      address: server.address,
      user: 'alice',
      password: users.alice,
      tls: { mode: 'disable' },
    });
    t.after(() => conn.socket.destroy());
    assert.equal(conn.authPlugin, 'caching_sha2_password');
    const r = await simpleQuery(conn.socket, conn.leftover, 'SELECT 1');
    assert.deepEqual(r.rows, [['1']]);
    assert.equal(server.logins().at(-1)?.path, expected);
  }
  assert.deepEqual(
    server.logins().map((l) => [l.path, l.tls]),
    [
      ['full', false],
      ['fast', false],
    ],
  );
  assert.equal(server.queryCount(), 2);
});

test('our client: full auth over TLS sends the password in cleartext inside TLS', async (t) => {
  const server = await fake(t);
  const conn = await connectUpstream({
    address: server.address,
    user: 'bob',
    password: users.bob,
    tls: { mode: 'verify-full', ca: ca.caPem },
  });
  t.after(() => conn.socket.destroy());
  assert.deepEqual(
    server.logins().map((l) => [l.path, l.tls]),
    [['full', true]],
  );
});

test('our client: a pinned server public key skips the key request', async (t) => {
  const server = await fake(t);
  const { fakeServerRsaKeys } = await import('@gatehouse/testing');
  const conn = await connectUpstream({
    address: server.address,
    user: 'bob',
    password: users.bob,
    serverPublicKey: fakeServerRsaKeys().publicPem,
  });
  t.after(() => conn.socket.destroy());
  assert.equal(server.logins()[0]?.path, 'full');
});

test('our client: wrong password in full and in fast auth is ERR 1045', async (t) => {
  const server = await fake(t);
  const ok = await connectUpstream({ address: server.address, user: 'bob', password: users.bob });
  ok.socket.destroy();
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      connectUpstream({ address: server.address, user: 'bob', password: 'wrong' }),
      (err) => err instanceof MysqlServerError && err.errno === 1045,
    );
    server.clearAuthCache();
  }
});

test('our client: a server preferring native password switches us from caching_sha2', async (t) => {
  const server = await fake(t, { authPlugin: 'mysql_native_password' });
  const conn = await connectUpstream({ address: server.address, user: 'alice', password: users.alice });
  t.after(() => conn.socket.destroy());
  assert.equal(conn.authPlugin, 'mysql_native_password');
  assert.equal(server.logins()[0]?.path, 'native');
});

test('mysql2: caching_sha2 full auth over RSA, then fast auth, then COM_QUIT is counted', async (t) => {
  const server = await fake(t);
  for (const expected of ['full', 'fast']) {
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port: server.port,
      user: 'alice',
      password: users.alice,
    });
    const [rows] = await conn.query({ sql: 'SELECT 1', rowsAsArray: true });
    assert.deepEqual(rows, [['1']]);
    await conn.end();
    assert.equal(server.logins().at(-1)?.path, expected);
  }
  // COM_QUIT is processed asynchronously on the server side: poll for it, bounded.
  await waitFor('the fake server to see both connections close', () => server.connsClosed() >= 2);
  assert.equal(server.connsClosed(), 2);
});

test('mysql2: caching_sha2 full auth over TLS', async (t) => {
  const server = await fake(t);
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port: server.port,
    user: 'bob',
    password: users.bob,
    ssl: { ca: ca.caPem },
  });
  t.after(() => conn.destroy());
  const [rows] = await conn.query({ sql: 'SELECT 1', rowsAsArray: true });
  assert.deepEqual(rows, [['1']]);
  assert.deepEqual(
    server.logins().map((l) => [l.path, l.tls]),
    [['full', true]],
  );
});
