import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';

const databases = (db: Record<string, unknown>) => ({
  engine: { databases: [{ name: 'shop', tls: { mode: 'require' }, ...db }] },
});

/** The config is refused with GH_ERR_CONFIG and a message matching `message`. */
function assertRejected(raw: unknown, message: RegExp): void {
  assert.throws(
    () => parseConfig(raw),
    (err: Error & { code?: string }) => err.code === 'GH_ERR_CONFIG' && message.test(err.message),
  );
}

test('a single uri is one backend, with the default routing and monitor', () => {
  const [db] = parseConfig(databases({ uri: '127.0.0.1:3306' })).engine.databases;
  assert.equal(db?.uri, '127.0.0.1:3306');
  assert.deepEqual(db?.backends, [{ uri: '127.0.0.1:3306', weight: 1, labels: {} }]);
  assert.deepEqual(db?.routing, {
    policy: 'primary',
    max_replica_lag: 30_000,
    hash_on: 'user',
    disconnect_unavailable: false,
  });
  assert.deepEqual(db?.monitor, { timeout: 5_000, failures: 1 });
  assert.equal(db?.send_proxy_protocol, undefined);
});

test('backends with weights and labels, a routing policy, a monitor and PROXY headers', () => {
  const [db] = parseConfig(
    databases({
      backends: [
        { uri: 'db1:3306', labels: { zone: 'a' } },
        { uri: 'db2:3306', weight: 3 },
      ],
      routing: { policy: 'prefer_replica', max_replica_lag: '5s', disconnect_unavailable: true },
      monitor: { interval: '2s', timeout: '1s', user: 'gh_monitor', failures: 2 },
      send_proxy_protocol: 'v2',
      server_version: '8.0.36-gatehouse',
    }),
  ).engine.databases;
  assert.equal(db?.uri, 'db1:3306', 'uri is the first backend, for messages');
  assert.deepEqual(db?.backends, [
    { uri: 'db1:3306', weight: 1, labels: { zone: 'a' } },
    { uri: 'db2:3306', weight: 3, labels: {} },
  ]);
  assert.equal(db?.routing.max_replica_lag, 5_000);
  assert.deepEqual(db?.monitor, { interval: 2_000, timeout: 1_000, user: 'gh_monitor', failures: 2 });
  assert.equal(db?.send_proxy_protocol, 'v2');
  assert.equal(db?.server_version, '8.0.36-gatehouse');
});

const rejected: Array<[string, Record<string, unknown>, RegExp]> = [
  ['neither uri nor backends', {}, /set exactly one of uri or backends/],
  ['both uri and backends', { uri: 'a:1', backends: [{ uri: 'b:1' }] }, /set exactly one of uri or backends/],
  ['an empty backend list', { backends: [] }, /backends/],
  [
    'a backend that is not host:port',
    { backends: [{ uri: 'nope' }] },
    /backends\.0\.uri: uri must be host:port or unix:\/path/,
  ],
  ['the same backend twice', { backends: [{ uri: 'a:1' }, { uri: 'a:1' }] }, /backend uris must be unique/],
  ['a zero weight', { backends: [{ uri: 'a:1', weight: 0 }] }, /weight/],
  ['an unknown policy', { uri: 'a:1', routing: { policy: 'round_robin' } }, /routing\.policy/],
  ['an unknown hash key', { uri: 'a:1', routing: { policy: 'consistent_hash', hash_on: 'db' } }, /routing\.hash_on/],
  ['PROXY v3', { uri: 'a:1', send_proxy_protocol: 'v3' }, /send_proxy_protocol/],
  ['an unknown monitor key', { uri: 'a:1', monitor: { every: '1s' } }, /monitor/],
];
for (const [what, db, message] of rejected) {
  test(`databases reject ${what}, naming the path`, () => assertRejected(databases(db), message));
}

test('a parsed database entry parses again to itself', () => {
  const [db] = parseConfig(
    databases({
      backends: [{ uri: 'db1:3306' }, { uri: 'db2:3306', weight: 2 }],
      routing: { max_replica_lag: '5s' },
      monitor: { interval: '2s' },
    }),
  ).engine.databases;
  const [again] = parseConfig({ engine: { databases: [db] } }).engine.databases;
  assert.deepEqual(again, db);
});

test('admin_user: x509 by default or a password file, a sweep interval; bad names refused', () => {
  const [x509] = parseConfig(databases({ uri: 'db:3306', admin_user: { name: 'gatehouse_admin' } })).engine.databases;
  assert.deepEqual(x509?.admin_user, { name: 'gatehouse_admin', sweep_interval: 60_000 });
  const [pw] = parseConfig(
    databases({ uri: 'db:3306', admin_user: { name: 'adm', password_file: '/etc/gh/adm.pw', sweep_interval: '10s' } }),
  ).engine.databases;
  assert.deepEqual(pw?.admin_user, { name: 'adm', password_file: '/etc/gh/adm.pw', sweep_interval: 10_000 });
  const [again] = parseConfig({ engine: { databases: [pw] } }).engine.databases;
  assert.deepEqual(again, pw);
  assertRejected(databases({ uri: 'db:3306', admin_user: { name: "adm'--" } }), /admin_user\.name/);
  assertRejected(databases({ uri: 'db:3306', admin_user: { name: 'adm', password: 'x' } }), /admin_user/);
});
