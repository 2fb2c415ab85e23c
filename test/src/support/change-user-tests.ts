// COM_CHANGE_USER through the gateway with real clients: mysql2's changeUser() and mysqltest's
// change_user (mariadb-test), to a db user the roles allow and to one they refuse. After the
// change, CURRENT_USER() and DATABASE() are what a direct session of that db user reads, and
// user variables and temporary tables are gone.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { connectMysql2 } from './clients.js';
import type { Cluster, UserCerts } from './cluster.js';

export interface ChangeUserContext {
  cluster(): Cluster;
}

function mysqlErrno(err: unknown): number | undefined {
  return (err as { errno?: number }).errno;
}

/** Runs a mysqltest script with mariadb-test; returns what it printed, and why it failed. */
function mariadbTest(dir: string, script: string, connection: readonly string[]): Promise<string> {
  const file = join(dir, `change-user-${Math.random().toString(36).slice(2)}.test`);
  writeFileSync(file, script);
  const args = [
    '--no-defaults',
    '--protocol=tcp',
    '--host=127.0.0.1',
    '--database=app',
    ...connection,
    `--test-file=${file}`,
  ];
  return new Promise((resolve) => {
    execFile('mariadb-test', args, (err, stdout, stderr) =>
      resolve(`${err ? `exit ${err.code}\n` : ''}${stdout}${stderr}`),
    );
  });
}

export function defineChangeUserTests(ctx: ChangeUserContext): void {
  let changer: UserCerts;
  let direct: { certFile: string; keyFile: string };

  before(async () => {
    const cluster = ctx.cluster();
    await cluster.db.sql(
      [
        "CREATE USER 'app_ro'@'%' REQUIRE SUBJECT '/CN=app_ro'",
        "GRANT SELECT, CREATE TEMPORARY TABLES ON app.* TO 'app_ro'@'%'",
      ].join('; '),
    );
    const add = await cluster.gatectl(['users', 'add', 'cu_user', '--roles', 'e2e-dev', '--db-users', 'app_rw,app_ro']);
    assert.equal(add.code, 0, add.stderr);
    changer = await cluster.signUser('cu_user', { dbUser: 'app_rw', dbName: 'app' });
    // A direct session of the new db user, to compare with: a certificate the database trusts.
    direct = await cluster.db.issueClientCert('app_ro');
  });

  test('mysql2 changeUser() to an allowed db user reads what a direct session reads; a refused one gets ERR 1045 naming the role', async () => {
    const cluster = ctx.cluster();
    const conn = await connectMysql2(cluster, changer, { database: 'app' });
    const straight = await mysql.createConnection({
      host: cluster.db.host,
      port: cluster.db.port,
      user: 'app_ro',
      database: 'app',
      ssl: {
        ca: readFileSync(cluster.db.ca.caFile, 'utf8'),
        cert: readFileSync(direct.certFile, 'utf8'),
        key: readFileSync(direct.keyFile, 'utf8'),
      },
    });
    try {
      await conn.query('SET @kept = 42');
      await conn.query('CREATE TEMPORARY TABLE tmp_m2 (id INT)');
      await conn.changeUser({ user: 'app_ro', database: 'app' });
      const [through] = await conn.query('SELECT CURRENT_USER() AS u, DATABASE() AS d, @kept AS v');
      const [expected] = await straight.query('SELECT CURRENT_USER() AS u, DATABASE() AS d, @kept AS v');
      assert.deepEqual(through, expected);
      assert.deepEqual(through, [{ u: 'app_ro@%', d: 'app', v: null }]);
      await assert.rejects(conn.query('SELECT * FROM tmp_m2'), (err: Error) => mysqlErrno(err) === 1146);

      await assert.rejects(conn.changeUser({ user: 'root_like', database: 'app' }), (err: Error) => {
        assert.equal(mysqlErrno(err), 1045);
        assert.match(err.message, /role 'e2e-dev' does not allow db user 'root_like'/);
        return true;
      });
      // Refused: the session goes on as the db user it had.
      const [still] = await conn.query('SELECT CURRENT_USER() AS u');
      assert.deepEqual(still, [{ u: 'app_ro@%' }]);
    } finally {
      await conn.end().catch(() => conn.destroy());
      await straight.end().catch(() => straight.destroy());
    }
    const events = await waitFor('the change_user events', async () => {
      const r = await cluster.gatectl(['audit', 'search', '--user', 'cu_user', '--format', 'json']);
      if (r.code !== 0) return undefined;
      const rows = (
        JSON.parse(r.stdout) as Array<{ event: string; old_db_user?: string; new_db_user: string; code: string }>
      ).filter((e) => e.event === 'db.session.user_change' || e.event === 'db.session.mysql.change_user');
      return rows.length >= 2 ? rows : undefined;
    });
    assert.ok(events.some((e) => e.old_db_user === 'app_rw' && e.new_db_user === 'app_ro' && e.code === 'GDB05I'));
    assert.ok(events.some((e) => e.old_db_user === 'app_ro' && e.new_db_user === 'root_like' && e.code === 'GMY14W'));
  });

  test("mysqltest's change_user gives what a direct session of the new db user gives", async () => {
    const cluster = ctx.cluster();
    const dir = join(cluster.dataDir, '..');
    const after = ['SELECT CURRENT_USER(), DATABASE(), @kept;', '--error ER_NO_SUCH_TABLE', 'SELECT * FROM tmp_cu;'];
    const through = await mariadbTest(
      dir,
      [
        'SET @kept = 42;',
        'CREATE TEMPORARY TABLE tmp_cu (id INT);',
        'change_user app_ro,,app;',
        ...after,
        '--error ER_ACCESS_DENIED_ERROR',
        'change_user root_like,,app;',
        'SELECT CURRENT_USER();',
        '',
      ].join('\n'),
      [
        '--user=app_rw',
        `--port=${cluster.mysqlPort}`,
        `--ssl-ca=${changer.casFile}`,
        `--ssl-cert=${changer.certFile}`,
        `--ssl-key=${changer.keyFile}`,
      ],
    );
    const straight = await mariadbTest(dir, [...after, 'SELECT CURRENT_USER();', ''].join('\n'), [
      '--user=app_ro',
      `--port=${cluster.db.port}`,
      `--ssl-ca=${cluster.db.ca.caFile}`,
      `--ssl-cert=${direct.certFile}`,
      `--ssl-key=${direct.keyFile}`,
    ]);
    assert.match(straight, /app_ro@%\tapp\tNULL/, straight);
    // mysqltest echoes no change_user line: the gateway's output is the direct one after the
    // two statements before the change, with the refusal's ERR before the last SELECT.
    const denied = /^ERROR 28000: .*role 'e2e-dev' does not allow db user 'root_like'\n/m.exec(through);
    assert.ok(denied, through);
    const last = 'SELECT CURRENT_USER();\n';
    assert.equal(
      through,
      `SET @kept = 42;\nCREATE TEMPORARY TABLE tmp_cu (id INT);\n${straight.replace(last, `${denied[0]}${last}`)}`,
    );
  });
}
