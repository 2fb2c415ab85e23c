import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import {
  connectUpstream,
  fetchMysqlVersion,
  MysqlConnectError,
  MysqlServerError,
  MysqlTimeoutError,
} from '@gatehouse/mysql-protocol';
import { findFreePort, startFakeMysqlServer, startMariaDb } from '@gatehouse/testing';

const db = await startMariaDb();
// MariaDB refuses a host no account matches (ERR 1130 instead of a greeting): make 127.0.0.1 known.
await db.sql(`CREATE USER '${db.uniqueName('probe')}'@'127.0.0.1'`);

test('fetchMysqlVersion returns the real server greeting verbatim', async () => {
  const before = performance.now();
  const info = await fetchMysqlVersion({ kind: 'tcp', host: '127.0.0.1', port: db.port });
  const observed = performance.now() - before;
  const [row] = await db.sql('SELECT VERSION() AS v');
  assert.ok(info.version === row!.v || info.version === `5.5.5-${row!.v}`, `${info.version} vs ${row!.v}`);
  assert.equal(info.handshake.serverVersion, info.version);
  // A dial and a greeting took place, inside the call: more than nothing, no more than the caller saw.
  assert.ok(info.elapsedMs > 0 && info.elapsedMs <= observed, `elapsedMs ${info.elapsedMs}, call took ${observed}`);
});

test('fetchMysqlVersion returns a fake server version unchanged', async (t) => {
  const fake = await startFakeMysqlServer({ version: '8.4.0-custom build' });
  t.after(() => fake.close());
  assert.equal((await fetchMysqlVersion(fake.address)).version, '8.4.0-custom build');
});

test('an ERR as the first packet is a typed error with the server message, for probe and login', async (t) => {
  const fake = await startFakeMysqlServer({ errFirst: { errno: 1040, message: 'Too many connections' } });
  t.after(() => fake.close());
  for (const attempt of [
    () => fetchMysqlVersion(fake.address),
    () => connectUpstream({ address: fake.address, user: 'u' }),
  ]) {
    await assert.rejects(attempt(), (err) => {
      assert.ok(err instanceof MysqlServerError);
      assert.equal(err.errno, 1040);
      assert.equal(err.beforeHandshake, true);
      assert.equal(err.serverMessage, 'Too many connections');
      assert.match(err.message, /refused the connection: ERROR 1040/);
      return true;
    });
  }
});

test('a server that never greets times out and says so', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  await assert.rejects(fetchMysqlVersion({ kind: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 150 }), (err) => {
    assert.ok(err instanceof MysqlTimeoutError);
    assert.equal(err.code, 'GH_ERR_MYSQL_TIMEOUT');
    assert.match(err.message, /timed out after 150 ms/);
    return true;
  });
});

test('a closed port is a connect error', async () => {
  const port = await findFreePort();
  await assert.rejects(fetchMysqlVersion({ kind: 'tcp', host: '127.0.0.1', port }), MysqlConnectError);
});
