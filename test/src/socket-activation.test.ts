// The proxy under systemd socket activation: systemd-socket-activate binds the MySQL port,
// starts `gatehouse start` on the first connection and passes the socket as fd 3
// (LISTEN_FDS=1, LISTEN_FDNAMES=mysql), as a .socket unit does (deploy/systemd/gatehouse.socket).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mariadbCli } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

let cluster: Cluster;
let alice: UserCerts;

before(async () => {
  cluster = await startCluster({ shape: 'single', socketActivation: true });
  const add = await cluster.gatectl(['users', 'add', 'alice', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
  assert.equal(add.code, 0, add.stderr);
  alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
});
after(async () => {
  await cluster?.stop();
});

test('a client with its certificate gets through the activated socket', async () => {
  const r = await mariadbCli(cluster, alice, ['-e', 'SELECT current_user(), database()']);
  assert.equal(r.code, 0, `${r.stderr}\n${cluster.logs()}`);
  assert.equal(r.stdout.trim(), 'app_rw@%\tapp');
});

test('the proxy adopted fd 3 and did not bind mysql_listen (which names another port)', () => {
  assert.match(cluster.logs(), /"socketActivation":\{"fd":3,"name":"mysql"\}/);
  const listening = /"mysql":"127\.0\.0\.1:(\d+)"/.exec(cluster.logs());
  assert.equal(Number(listening?.[1]), cluster.mysqlPort);
});
