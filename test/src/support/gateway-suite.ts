// The end-to-end suite, run once per deployment shape (gateway-single / gateway-split).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { Connection } from 'mysql2/promise';
import { defineAuditTest } from './audit-tests.js';
import { defineBackpressureTest } from './backpressure-tests.js';
import { defineChangeUserTests } from './change-user-tests.js';
import { connectMysql2, mariadbCli } from './clients.js';
import { type Cluster, type ClusterShape, startCluster, type UserCerts } from './cluster.js';
import { defineCompressionTests } from './compression-tests.js';
import { PARAM_CASES } from './param-cases.js';
import { defineTlsTests } from './tls-tests.js';

function mysqlErrno(err: unknown): number | undefined {
  return (err as { errno?: number }).errno;
}

export function defineGatewaySuite(shape: ClusterShape): void {
  describe(`gateway (${shape})`, () => {
    let cluster: Cluster;
    let alice: UserCerts;

    before(async () => {
      cluster = await startCluster({ shape, engines: shape === 'split' ? 2 : 1 });
      const add = await cluster.gatectl(['users', 'add', 'alice', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
      assert.equal(add.code, 0, add.stderr);
      alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
    });
    after(async () => {
      await cluster?.stop();
    });

    async function withAlice<T>(fn: (c: Connection) => Promise<T>, options = {}): Promise<T> {
      const conn = await connectMysql2(cluster, alice, options);
      try {
        return await fn(conn);
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    }

    test('the mariadb CLI reads current_user() through the gateway with no password', async () => {
      const r = await mariadbCli(cluster, alice, ['-e', 'SELECT current_user(), database()']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'app_rw@%\tapp');
    });

    test('SELECT VERSION() equals the version the greeting announced', async () => {
      await withAlice(async (c) => {
        const [rows] = await c.query('SELECT VERSION() AS v');
        // mysql2 keeps the greeting it received (HandshakeV10) on the core connection.
        const core = (c as unknown as { connection: { _handshakePacket: { serverVersion: string } } }).connection;
        const announced = core._handshakePacket.serverVersion;
        assert.equal(announced.replace(/^5\.5\.5-/, ''), (rows as Array<{ v: string }>)[0]!.v);
        assert.equal((rows as Array<{ v: string }>)[0]!.v, cluster.db.version);
      });
    });

    test('INSERT, UPDATE, SELECT and a rolled-back transaction', async () => {
      await withAlice(async (c) => {
        await c.query('CREATE TABLE IF NOT EXISTS t_basic (id INT PRIMARY KEY, v VARCHAR(20))');
        await c.query('DELETE FROM t_basic');
        const [ins] = await c.query("INSERT INTO t_basic VALUES (1,'a'),(2,'b')");
        assert.equal((ins as { affectedRows: number }).affectedRows, 2);
        const [upd] = await c.query("UPDATE t_basic SET v = 'z' WHERE id = 2");
        assert.equal((upd as { affectedRows: number }).affectedRows, 1);
        await c.beginTransaction();
        await c.query("INSERT INTO t_basic VALUES (3,'c')");
        await c.rollback();
        const [rows] = await c.query('SELECT id, v FROM t_basic ORDER BY id');
        assert.deepEqual(rows, [
          { id: 1, v: 'a' },
          { id: 2, v: 'z' },
        ]);
      });
    });

    test('USE of an allowed schema works; a forbidden one is ERR 1044 naming the user and database', async () => {
      await withAlice(async (c) => {
        await c.query('USE reports_2026');
        const [rows] = await c.query('SELECT database() AS d');
        assert.equal((rows as Array<{ d: string }>)[0]!.d, 'reports_2026');
        await assert.rejects(c.query('USE secret_stuff'), (err: Error) => {
          assert.equal(mysqlErrno(err), 1044);
          assert.match(err.message, /alice/);
          assert.match(err.message, /secret_stuff/);
          return true;
        });
        const [still] = await c.query('SELECT database() AS d');
        assert.equal((still as Array<{ d: string }>)[0]!.d, 'reports_2026');
      });
    });

    test('mysql2 execute() with every common parameter type round-trips', async () => {
      await withAlice(async (c) => {
        await c.query('DROP TABLE IF EXISTS t_params');
        const columns = PARAM_CASES.map((p) => `${p.column} ${p.type}`).join(', ');
        await c.query(`CREATE TABLE t_params (id INT PRIMARY KEY, ${columns}) DEFAULT CHARSET = utf8mb4`);
        const [ins] = await c.execute(`INSERT INTO t_params VALUES (?, ${PARAM_CASES.map(() => '?').join(', ')})`, [
          1,
          ...PARAM_CASES.map((p) => p.value),
        ]);
        assert.equal((ins as { affectedRows: number }).affectedRows, 1);
        const selected = PARAM_CASES.map((p) => `${p.select ?? p.column} AS ${p.column}`).join(', ');
        const [rows] = await c.execute(`SELECT ${selected} FROM t_params WHERE id = ?`, [1]);
        assert.deepEqual(rows, [Object.fromEntries(PARAM_CASES.map((p) => [p.column, p.readBack]))]);
        // The same values as parameters compared server-side: each one matches its column.
        const where = PARAM_CASES.filter((p) => p.value !== null && p.column !== 'doc')
          .map((p) => `${p.column} = ?`)
          .join(' AND ');
        const [matched] = await c.execute(
          `SELECT id FROM t_params WHERE ${where}`,
          PARAM_CASES.filter((p) => p.value !== null && p.column !== 'doc').map((p) => p.value),
        );
        assert.deepEqual(matched, [{ id: 1 }]);
      });
    });

    test('a 20 MiB blob round-trips', async () => {
      await withAlice(async (c) => {
        await c.query('CREATE TABLE IF NOT EXISTS t_blob (id INT PRIMARY KEY, b LONGBLOB)');
        await c.query('DELETE FROM t_blob');
        const blob = Buffer.alloc(20 * 1024 * 1024);
        for (let i = 0; i < blob.length; i += 4096) blob[i] = i % 251;
        await c.execute('INSERT INTO t_blob VALUES (1, ?)', [blob]);
        const [rows] = await c.query('SELECT b FROM t_blob WHERE id = 1');
        assert.ok((rows as Array<{ b: Buffer }>)[0]!.b.equals(blob));
      });
    });

    test('a multi-statement query and a CALL returning two result sets', async () => {
      await withAlice(
        async (c) => {
          const [multi] = await c.query('SELECT 1 AS a; SELECT 2 AS b');
          assert.deepEqual(multi, [[{ a: 1 }], [{ b: 2 }]]);
          await c.query('DROP PROCEDURE IF EXISTS two_sets');
          await c.query('CREATE PROCEDURE two_sets() BEGIN SELECT 1 AS x; SELECT 2 AS y, 3 AS z; END');
          const [sets] = await c.query('CALL two_sets()');
          const results = sets as unknown[];
          assert.deepEqual(results[0], [{ x: 1 }]);
          assert.deepEqual(results[1], [{ y: 2, z: 3 }]);
        },
        { multipleStatements: true },
      );
    });

    defineChangeUserTests({ cluster: () => cluster });

    test('a client without TLS gets ERR 3159', async () => {
      const r = await mariadbCli(cluster, undefined, ['-e', 'SELECT 1'], { user: 'app_rw' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /3159/);
      assert.match(r.stderr, /insecure transport/i);
    });

    test('a TLS client without a certificate is refused with ERR 1045 saying none was presented', async () => {
      const r = await mariadbCli(cluster, { ...alice, certFile: '', keyFile: '' }, ['-e', 'SELECT 1']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /ERROR 1045/);
      assert.match(r.stderr, /no client certificate/);
    });

    test('a certificate from another CA is refused with ERR 1045', async () => {
      const foreign = await cluster.db.issueClientCert('alice');
      const r = await mariadbCli(cluster, { ...alice, certFile: foreign.certFile, keyFile: foreign.keyFile }, [
        '-e',
        'SELECT 1',
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /1045/);
      assert.match(r.stderr, /trusted|CA|authority/i);
    });

    test('an expired certificate is refused with ERR 1045 saying when it expired', async () => {
      const short = await cluster.signUser('alice', { dbUser: 'app_rw', ttl: '2s' });
      await waitFor(
        'the expired certificate to be refused',
        async () => {
          const r = await mariadbCli(cluster, short, ['-e', 'SELECT 1']);
          // Until it expires the login works (and the session may be closed mid-query when the
          // expiry passes, ERR 1927); the refusal at login is what this test is about.
          return r.code !== 0 && /ERROR 1045/.test(r.stderr) ? r : undefined;
        },
        15_000,
      ).then((r) => {
        assert.match(r.stderr, /1045/);
        assert.match(r.stderr, /expired at \d{4}-\d{2}-\d{2}/);
      });
    });

    test("a db user the role doesn't allow is ERR 1045 with the reason", async () => {
      const r = await mariadbCli(cluster, alice, ['-e', 'SELECT 1'], { user: 'root' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /1045/);
      assert.match(r.stderr, /root/);
    });

    test('a locked user is refused, and a live session is closed with the reason', async () => {
      const bob = await addUser('bob');
      const conn = await connectMysql2(cluster, bob);
      // The engine sends an ERR on the idle session and closes it; mysql2 reports that unsolicited
      // ERR as an 'error' event carrying the server's message.
      const closedWith = new Promise<Error>((resolve) => conn.on('error', resolve));
      await conn.query('SELECT 1');
      const lock = await cluster.gatectl(['lock', '--user', 'bob', '--message', 'e2e lock test']);
      assert.equal(lock.code, 0, lock.stderr);
      const err = await closedWith;
      assert.match(err.message, /locked/i);
      assert.match(err.message, /e2e lock test/);
      const fresh = await mariadbCli(cluster, bob, ['-e', 'SELECT 1']);
      assert.notEqual(fresh.code, 0);
      assert.match(fresh.stderr, /1045/);
      assert.match(fresh.stderr, /locked/i);
      conn.destroy();
    });

    defineAuditTest({ cluster: () => cluster, alice: () => alice, addUser });

    async function addUser(name: string, dbUser = 'app_rw'): Promise<UserCerts> {
      const add = await cluster.gatectl(['users', 'add', name, '--roles', 'e2e-dev', '--db-users', dbUser]);
      assert.equal(add.code, 0, add.stderr);
      return cluster.signUser(name, { dbUser, ...(dbUser === 'app_rw' ? { dbName: 'app' } : {}) });
    }

    defineBackpressureTest({ cluster: () => cluster, alice: () => alice });

    defineTlsTests({ shape, cluster: () => cluster, alice: () => alice, addUser });

    defineCompressionTests({ cluster: () => cluster, alice: () => alice });

    test('after a proxy restart the engine reconnects and new sessions work', async () => {
      await cluster.restartProxy();
      const r = await waitFor(
        'a session to work after the restart',
        async () => {
          const out = await mariadbCli(cluster, alice, ['-e', 'SELECT 42']);
          return out.code === 0 ? out : undefined;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${cluster.logs().slice(-8000)}`);
      });
      assert.equal(r.stdout.trim(), '42');
    });

    // The split shape's fault tests share the cluster in order: one engine killed, then the
    // database stopped behind the survivor, then the survivor killed.
    if (shape === 'split') {
      test('with two engines for one database, killing one sends new sessions to the other', async () => {
        await cluster.killEngine(0);
        const r = await waitFor(
          'sessions to go to the surviving engine',
          async () => {
            const out = await mariadbCli(cluster, alice, ['-e', 'SELECT 7']);
            return out.code === 0 ? out : undefined;
          },
          30_000,
        );
        assert.equal(r.stdout.trim(), '7');
      });
    }

    test('with the database down the client gets an ERR with the cause', async () => {
      await cluster.db.stop();
      const r = await mariadbCli(cluster, alice, ['-e', 'SELECT 1']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /ERROR \d+/);
      assert.match(r.stderr, new RegExp(`'${cluster.dbService}'`));
      assert.match(r.stderr, /connect|refused|unavailable/i);
    });

    if (shape === 'split') {
      test('with every engine down the client hears "no engine serves database"', async () => {
        await cluster.killEngine(1);
        const r = await waitFor(
          'the proxy to notice the engines are gone',
          async () => {
            const out = await mariadbCli(cluster, alice, ['-e', 'SELECT 1']);
            return out.code !== 0 && /no engine serves database/.test(out.stderr) ? out : undefined;
          },
          30_000,
        );
        assert.match(r.stderr, new RegExp(`no engine serves database '${cluster.dbService}'`));
      });
    }
  });
}
