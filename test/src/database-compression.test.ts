// Protocol compression on the database leg (databases[].compression: true): the engine logs in
// with CLIENT_COMPRESS and relays, parses and audits the plain stream inside, whether or not the
// client leg is compressed too. The server reports its leg compressed; results are as direct.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { mariadbCli } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';
import {
  bigBlob,
  CLI_SCRIPT,
  compressionOn,
  directCli,
  directMysql2,
  gatewayMysql2,
  mysql2Results,
} from './support/compression-tests.js';

let cluster: Cluster;
let alice: UserCerts;

before(async () => {
  cluster = await startCluster({ shape: 'single', dbCompression: true });
  const add = await cluster.gatectl(['users', 'add', 'alice', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
  assert.equal(add.code, 0, add.stderr);
  alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
});
after(async () => {
  await cluster?.stop();
});

test('the server reports the engine leg compressed, with or without compression on the client leg', async () => {
  for (const compress of [false, true]) {
    const conn = await gatewayMysql2(cluster, alice, { compress });
    try {
      assert.equal(compressionOn(conn), compress);
      const [status] = await conn.query("SHOW SESSION STATUS LIKE 'Compression'");
      assert.deepEqual(status, [{ Variable_name: 'Compression', Value: 'ON' }], `client compress: ${compress}`);
    } finally {
      await conn.end();
    }
  }
});

test('over a compressed database leg, mysql2 and the mariadb CLI read what they read directly', async () => {
  const blob = bigBlob();
  const options = { multipleStatements: true };
  const direct = await directMysql2(cluster, options);
  let expected: unknown[];
  try {
    expected = await mysql2Results(direct, 't_dbleg_direct', blob);
  } finally {
    await direct.end();
  }
  for (const compress of [false, true]) {
    const conn = await gatewayMysql2(cluster, alice, { ...options, compress });
    try {
      assert.deepEqual(await mysql2Results(conn, `t_dbleg_${compress ? 'both' : 'engine'}`, blob), expected);
    } finally {
      await conn.end();
    }
  }
  const args = ['--max-allowed-packet=64M', '--database=app', '-e', CLI_SCRIPT];
  const cliDirect = await directCli(cluster, args);
  assert.equal(cliDirect.code, 0, cliDirect.stderr);
  const through = await mariadbCli(cluster, alice, args);
  assert.equal(through.code, 0, through.stderr);
  assert.ok(through.stdout === cliDirect.stdout, 'the gateway output equals the direct output');
});

test('statements over a compressed database leg are audited as over a plain one', async () => {
  const marker = `dbleg_audit_${Date.now()}`;
  const r = await mariadbCli(cluster, alice, ['-e', `SELECT '${marker}' AS m`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), marker);
  // Events reach the store through the engine's spool: wait for this one.
  const queries = await waitFor(
    'the query event',
    async () => {
      const search = await cluster.gatectl(['audit', 'search', '--query', marker, '--format', 'json']);
      if (search.code !== 0) return undefined;
      const events = JSON.parse(search.stdout) as Array<{ event: string; query?: string }>;
      const found = events.filter((e) => e.event === 'db.session.query');
      return found.length > 0 ? found : undefined;
    },
    30_000,
  );
  assert.deepEqual(
    queries.map((e) => e.query),
    [`SELECT '${marker}' AS m`],
  );
});
