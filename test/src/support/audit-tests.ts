// The audit log end to end: one session of each kind (mysql2, the mariadb CLI, refused logins),
// then `gatectl audit search --format json` must hold each event with the fields DESIGN.md lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { connectMysql2, mariadbCli } from './clients.js';
import type { Cluster, UserCerts } from './cluster.js';
import { PARAM_CASES } from './param-cases.js';

export interface AuditContext {
  cluster(): Cluster;
  alice(): UserCerts;
  /** Adds a user with the suite's role and issues a certificate. */
  addUser(name: string): Promise<UserCerts>;
}

interface AuditOutcome {
  kind: string;
  affected_rows?: number;
  rows?: number;
  errno?: number;
  sqlstate?: string;
  message?: string;
}

interface AuditRow {
  uid: string;
  proxy_id?: string;
  event: string;
  code: string;
  sid: string;
  user: string;
  roles: string[];
  db_service: string;
  db_user: string;
  db_name: string;
  client_addr: string;
  engine_id: string;
  success?: boolean;
  thread_id?: number;
  client_attributes?: Record<string, string>;
  query?: string;
  schema_name?: string;
  statement_id?: number;
  outcome?: AuditOutcome;
  duration_ms?: number;
  session_duration_ms?: number;
  parameters?: unknown[];
  error?: { code?: string; errno?: number; message: string };
}

function only(events: readonly AuditRow[], what: string, match: (e: AuditRow) => boolean): AuditRow {
  const found = events.filter(match);
  assert.equal(found.length, 1, `exactly one ${what} event (found ${found.length})`);
  return found[0]!;
}

function assertDuration(e: AuditRow): void {
  assert.equal(typeof e.duration_ms, 'number', `${e.event} carries duration_ms`);
  assert.ok(e.duration_ms! >= 0 && e.duration_ms! < 60_000, `${e.event} duration ${e.duration_ms}`);
}

export function defineAuditTest(ctx: AuditContext): void {
  test('the audit log holds sessions, queries, outcomes, statements with decoded parameters and refusals', async () => {
    const cluster = ctx.cluster();
    const marker = `audit_${Date.now().toString(36)}`;

    // A mysql2 session: UPDATE, a failing SELECT, a SELECT, a typed execute, SQL USE.
    const conn = await connectMysql2(cluster, ctx.alice(), { database: 'app' });
    const localPort = (conn as unknown as { connection: { stream: { localPort: number } } }).connection.stream
      .localPort;
    const [idRows] = await conn.query('SELECT CONNECTION_ID() AS id');
    const threadId = Number((idRows as Array<{ id: number }>)[0]!.id);
    await conn.query('CREATE TABLE IF NOT EXISTS t_audit (id INT PRIMARY KEY, v VARCHAR(64))');
    await conn.query("REPLACE INTO t_audit VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await conn.query(`UPDATE t_audit SET v = '${marker}' WHERE id <= 2`);
    await assert.rejects(conn.query(`SELECT * FROM missing_${marker}`), { errno: 1146 });
    await conn.query(`SELECT '${marker}' AS m`);
    const statement = `SELECT ${PARAM_CASES.map(() => '?').join(', ')} /* ${marker} */`;
    await conn.execute(
      statement,
      PARAM_CASES.map((p) => p.value),
    );
    await conn.query('USE reports_2026');
    await conn.query(`SELECT '${marker}_after_use' AS m`);
    await conn.end();

    // The mariadb CLI sends `use` as COM_INIT_DB: once allowed, once refused.
    const used = await mariadbCli(cluster, ctx.alice(), ['-e', `use reports_2026\nSELECT '${marker}_cli'`]);
    assert.equal(used.code, 0, used.stderr);
    const refusedUse = await mariadbCli(cluster, ctx.alice(), ['-e', 'use secret_stuff']);
    assert.match(refusedUse.stderr, /ERROR 1044/);

    // Refused logins: a db user the role denies, and a locked user.
    const asRoot = await mariadbCli(cluster, ctx.alice(), ['-e', 'SELECT 1'], { user: 'root' });
    assert.match(asRoot.stderr, /ERROR 1045/);
    // A session closed by a lock ends with the reason; a login after the lock is refused by the
    // proxy's front door, which audits the refusal itself.
    const carolName = `carol_${marker}`;
    const carolCerts = await ctx.addUser(carolName);
    const carol = await connectMysql2(cluster, carolCerts);
    const closed = new Promise<Error>((resolve) => carol.on('error', resolve));
    await carol.query('SELECT 1');
    const lock = await cluster.gatectl(['lock', '--user', carolName, '--message', `lock ${marker}`]);
    assert.equal(lock.code, 0, lock.stderr);
    assert.match((await closed).message, /locked/);
    carol.destroy();
    const afterLock = await mariadbCli(cluster, carolCerts, ['-e', 'SELECT 1']);
    assert.match(afterLock.stderr, /ERROR 1045.*locked/);

    const events = await waitFor('every event to reach the audit log', async () => {
      const r = await cluster.gatectl(['audit', 'search', '--format', 'json']);
      if (r.code !== 0) return undefined;
      const all = JSON.parse(r.stdout) as AuditRow[];
      const has = (f: (e: AuditRow) => boolean): boolean => all.some(f);
      const complete =
        has((e) => e.event === 'db.session.end' && e.client_addr === `127.0.0.1:${localPort}`) &&
        has((e) => e.event === 'db.session.query' && e.query === `SELECT '${marker}_cli'`) &&
        has((e) => e.event === 'db.session.mysql.init_db' && e.schema_name === 'secret_stuff') &&
        has((e) => e.event === 'db.session.end' && e.user === carolName) &&
        has((e) => e.event === 'db.session.start' && e.user === carolName && e.success === false);
      return complete ? all : undefined;
    });

    // The mysql2 session, found by its real client address and MySQL thread id.
    const start = only(
      events,
      'start of the mysql2 session',
      (e) => e.event === 'db.session.start' && e.client_addr === `127.0.0.1:${localPort}`,
    );
    assert.equal(start.success, true);
    assert.equal(start.thread_id, threadId);
    assert.equal(start.user, 'alice');
    assert.deepEqual(start.roles, ['e2e-dev']);
    assert.equal(start.db_service, cluster.dbService);
    assert.equal(start.db_user, 'app_rw');
    assert.equal(start.db_name, 'app');
    assert.equal(start.client_attributes?._client_name, 'Node-MySQL-2');
    const session = events.filter((e) => e.sid === start.sid);
    for (const e of session) {
      assert.equal(e.client_addr, `127.0.0.1:${localPort}`);
      assert.equal(e.user, 'alice');
      assert.equal(e.engine_id, start.engine_id);
    }

    const update = only(session, 'UPDATE', (e) => e.query?.startsWith('UPDATE t_audit') === true);
    assert.equal(update.event, 'db.session.query');
    assert.deepEqual(
      { kind: update.outcome?.kind, affected_rows: update.outcome?.affected_rows },
      { kind: 'ok', affected_rows: 2 },
    );
    assertDuration(update);
    const failing = only(session, 'failing SELECT', (e) => e.query === `SELECT * FROM missing_${marker}`);
    assert.deepEqual(
      { kind: failing.outcome?.kind, errno: failing.outcome?.errno, sqlstate: failing.outcome?.sqlstate },
      { kind: 'error', errno: 1146, sqlstate: '42S02' },
    );
    assert.match(failing.outcome?.message ?? '', new RegExp(`missing_${marker}`));
    assert.equal(failing.code.endsWith('W'), true, `a failed query has a warning code, not ${failing.code}`);
    assertDuration(failing);
    const select = only(session, 'SELECT', (e) => e.query === `SELECT '${marker}' AS m`);
    assert.deepEqual({ kind: select.outcome?.kind, rows: select.outcome?.rows }, { kind: 'rows', rows: 1 });

    const prepare = only(session, 'prepare', (e) => e.event === 'db.session.mysql.statements.prepare');
    assert.equal(prepare.query, statement);
    assert.equal(prepare.outcome?.kind, 'ok');
    assertDuration(prepare);
    const execute = only(session, 'execute', (e) => e.event === 'db.session.mysql.statements.execute');
    assert.equal(execute.statement_id, prepare.statement_id);
    assert.equal(execute.query, statement);
    assert.deepEqual(
      execute.parameters,
      PARAM_CASES.map((p) => p.audited),
    );
    assert.deepEqual({ kind: execute.outcome?.kind, rows: execute.outcome?.rows }, { kind: 'rows', rows: 1 });
    assertDuration(execute);

    // SQL USE is a query; the events after it carry the new schema.
    const sqlUse = only(session, 'USE', (e) => e.query === 'USE reports_2026');
    assert.equal(sqlUse.outcome?.kind, 'ok');
    const afterUse = only(session, 'SELECT after USE', (e) => e.query === `SELECT '${marker}_after_use' AS m`);
    assert.equal(afterUse.db_name, 'reports_2026');

    const end = only(session, 'end', (e) => e.event === 'db.session.end');
    assert.equal(end.error, undefined, `a clean COM_QUIT ends without an error: ${JSON.stringify(end.error)}`);
    assert.equal(typeof end.session_duration_ms, 'number');

    // COM_INIT_DB from the CLI: the allowed one and the refused one.
    const cliQuery = only(events, 'CLI query', (e) => e.query === `SELECT '${marker}_cli'`);
    const cli = events.filter((e) => e.sid === cliQuery.sid);
    const initDb = only(cli, 'init_db', (e) => e.event === 'db.session.mysql.init_db');
    assert.equal(initDb.schema_name, 'reports_2026');
    assert.equal(initDb.outcome?.kind, 'ok');
    assertDuration(initDb);
    assert.equal(cliQuery.db_name, 'reports_2026');
    assert.equal(
      only(cli, 'CLI start', (e) => e.event === 'db.session.start').client_attributes?.program_name,
      'mysql',
    );
    const cliEnd = only(cli, 'CLI end', (e) => e.event === 'db.session.end');
    assert.equal(cliEnd.error, undefined, `the CLI's quit ends without an error: ${JSON.stringify(cliEnd.error)}`);
    const deniedInit = only(
      events,
      'refused init_db',
      (e) => e.event === 'db.session.mysql.init_db' && e.schema_name === 'secret_stuff',
    );
    assert.deepEqual(
      { kind: deniedInit.outcome?.kind, errno: deniedInit.outcome?.errno },
      { kind: 'error', errno: 1044 },
    );

    // Refused logins are failure start events that say why.
    const root = events.filter((e) => e.event === 'db.session.start' && e.success === false && e.db_user === 'root');
    assert.ok(root.length > 0, 'the refused root login is audited');
    for (const e of root) {
      assert.equal(e.user, 'alice');
      assert.equal(e.error?.errno, 1045);
      assert.match(e.error?.message ?? '', /denies db user 'root'/);
      assert.match(e.client_addr, /^127\.0\.0\.1:\d+$/);
    }
    const refusedAfterLock = only(
      events,
      'the login refused after the lock',
      (e) => e.event === 'db.session.start' && e.user === carolName && e.success === false,
    );
    assert.equal(refusedAfterLock.error?.errno, 1045);
    assert.match(refusedAfterLock.error?.message ?? '', new RegExp(`locked.*lock ${marker}`, 'i'));
    assert.equal(refusedAfterLock.db_user, 'app_rw');
    assert.match(refusedAfterLock.proxy_id ?? '', /.+/);
    const lockedEnd = only(
      events,
      'end of the locked session',
      (e) => e.event === 'db.session.end' && e.user === carolName,
    );
    assert.match(lockedEnd.error?.message ?? '', new RegExp(`locked.*lock ${marker}`, 'i'));
  });
}
