// The monitor's reading of server states the test MariaDB does not have: a Galera node (synced
// or not), and MySQL 8's SHOW REPLICA STATUS columns. These answers come from the test kit's
// fake server; real replication is covered against MariaDB in replication-routing.test.ts.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { DatabaseSchema } from '@gatehouse/common';
import { type FakeResponse, startFakeMysqlServer } from '@gatehouse/testing';
import { checkBackend } from '../../src/backends/backend-check.js';

const noSigner = { signDbClient: () => Promise.reject(new Error('no x509 here')) };
process.env.GH_TEST_FAKE_MONITOR_PW = 'monitor-pw';

async function checkAgainst(t: TestContext, queries: Record<string, FakeResponse>) {
  const server = await startFakeMysqlServer({ users: { gh_monitor: 'monitor-pw' }, queries, version: '8.0.36-fake' });
  t.after(() => server.close());
  const uri = `127.0.0.1:${server.port}`;
  const db = DatabaseSchema.parse({
    name: 'shop',
    uri,
    tls: { mode: 'disable' },
    auth: { mode: 'password', credentials: { gh_monitor: { password_env: 'GH_TEST_FAKE_MONITOR_PW' } } },
    monitor: { user: 'gh_monitor' },
  });
  return checkBackend(db, db.backends[0]!, { timeoutMs: 5000, signer: noSigner });
}

const writable: FakeResponse = { kind: 'rows', columns: ['read_only'], rows: [['0']] };
const readOnly: FakeResponse = { kind: 'rows', columns: ['read_only'], rows: [['1']] };
const noWsrep: FakeResponse = { kind: 'rows', columns: ['Variable_name', 'Value'], rows: [] };
const wsrep = (state: string, comment: string): FakeResponse => ({
  kind: 'rows',
  columns: ['Variable_name', 'Value'],
  rows: [
    ['wsrep_local_state', state],
    ['wsrep_local_state_comment', comment],
  ],
});

test('a synced Galera node is a primary; one that is not synced is down, saying its state', async (t) => {
  const synced = await checkAgainst(t, {
    'SELECT @@global.read_only AS read_only': writable,
    "SHOW GLOBAL STATUS LIKE 'wsrep_local_state%'": wsrep('4', 'Synced'),
  });
  assert.equal(synced.health, 'healthy');
  assert.equal(synced.role, 'primary');
  assert.equal(synced.galeraState, 'Synced');
  assert.equal(synced.serverVersion, '8.0.36-fake');
  const donor = await checkAgainst(t, {
    'SELECT @@global.read_only AS read_only': writable,
    "SHOW GLOBAL STATUS LIKE 'wsrep_local_state%'": wsrep('2', 'Donor/Desynced'),
  });
  assert.equal(donor.health, 'unhealthy');
  assert.equal(donor.healthMessage, 'Galera node is Donor/Desynced');
});

test("MySQL 8's SHOW REPLICA STATUS: Replica_* columns and Seconds_Behind_Source", async (t) => {
  const status = (sql: string, lag: string | null): FakeResponse => ({
    kind: 'rows',
    columns: ['Replica_IO_Running', 'Replica_SQL_Running', 'Seconds_Behind_Source'],
    rows: [['Yes', sql, lag]],
  });
  const running = await checkAgainst(t, {
    'SELECT @@global.read_only AS read_only': readOnly,
    "SHOW GLOBAL STATUS LIKE 'wsrep_local_state%'": noWsrep,
    'SHOW REPLICA STATUS': status('Yes', '12'),
  });
  assert.deepEqual([running.role, running.readOnly, running.lagSeconds], ['replica', true, 12]);
  const stopped = await checkAgainst(t, {
    'SELECT @@global.read_only AS read_only': readOnly,
    "SHOW GLOBAL STATUS LIKE 'wsrep_local_state%'": noWsrep,
    'SHOW REPLICA STATUS': status('No', null),
  });
  assert.deepEqual([stopped.role, stopped.lagSeconds], ['replica', null]);
});

test('a server without either replication syntax (or the grant) is judged by read_only', async (t) => {
  // The fake answers ERR 1064 to both SHOW REPLICA STATUS and SHOW SLAVE STATUS.
  const primary = await checkAgainst(t, {
    'SELECT @@global.read_only AS read_only': writable,
    "SHOW GLOBAL STATUS LIKE 'wsrep_local_state%'": noWsrep,
  });
  assert.deepEqual([primary.health, primary.role, primary.lagSeconds], ['healthy', 'primary', undefined]);
});

test('a monitor login the server refuses makes the backend unhealthy, keeping its version', async (t) => {
  process.env.GH_TEST_FAKE_MONITOR_PW = 'wrong';
  t.after(() => {
    process.env.GH_TEST_FAKE_MONITOR_PW = 'monitor-pw';
  });
  const refused = await checkAgainst(t, {});
  assert.equal(refused.health, 'unhealthy');
  assert.match(refused.healthMessage ?? '', /^monitor: .*denied/i);
  assert.equal(refused.serverVersion, '8.0.36-fake');
});
