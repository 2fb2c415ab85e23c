// Issue 15, item 1 end to end: automatic database users (docs/db-users.md). Real MariaDB with
// real roles, mysql2 through the gateway. The person's role has db_names '*' and no statement
// rules, so the gateway checks no statement: every refusal here is the database's own.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { Connection } from 'mysql2/promise';
import { connectMysql2 } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

const ADMIN_YAML = `      admin_user: { name: gh_admin, sweep_interval: 1s }
`;

const ROLES = `kind: role
name: acc-auto
options: { create_db_user: true, db_roles: [acc_reader] }
allow: { db_labels: { env: dev }, db_names: ['*'] }
---
kind: role
name: acc-change
options: { create_db_user: true, db_roles: [acc_reader] }
allow: { db_labels: { env: dev }, db_names: ['*'] }
`;

/** The database side: two schemas, two real roles, and the engine's admin with docs/db-users.md's grants. */
async function prepareDatabase(cluster: Cluster): Promise<void> {
  await cluster.db.sql(
    [
      'CREATE DATABASE acc',
      'CREATE DATABASE acc_other',
      'CREATE TABLE acc.t (id INT PRIMARY KEY, x VARCHAR(20))',
      "INSERT INTO acc.t VALUES (1, 'mine')",
      'CREATE TABLE acc_other.secret (id INT PRIMARY KEY, x VARCHAR(20))',
      "INSERT INTO acc_other.secret VALUES (1, 'secret')",
      'CREATE SQL SECURITY INVOKER VIEW acc.v AS SELECT x FROM acc_other.secret',
      'CREATE SQL SECURITY DEFINER VIEW acc.v_definer AS SELECT x FROM acc_other.secret',
      "CREATE PROCEDURE acc_other.p() SELECT 'from p' AS x",
      'CREATE ROLE acc_reader',
      'GRANT SELECT ON acc.* TO acc_reader',
      'CREATE ROLE acc_writer',
      'GRANT INSERT, UPDATE ON acc.* TO acc_writer',
      "CREATE USER 'gh_admin'@'%' REQUIRE SUBJECT '/CN=gh_admin'",
      "GRANT CREATE USER, PROCESS ON *.* TO 'gh_admin'@'%'",
      "GRANT SELECT ON mysql.user TO 'gh_admin'@'%'",
      "GRANT ALL ON gatehouse.* TO 'gh_admin'@'%'",
      "GRANT acc_reader TO 'gh_admin'@'%' WITH ADMIN OPTION",
      "GRANT acc_writer TO 'gh_admin'@'%' WITH ADMIN OPTION",
    ].join('; '),
  );
  const rolesFile = join(cluster.dataDir, '..', 'db-user-roles.yaml');
  writeFileSync(rolesFile, ROLES);
  const created = await cluster.gatectl(['roles', 'create', '-f', rolesFile, '--force']);
  assert.equal(created.code, 0, created.stderr);
}

async function addUser(cluster: Cluster, user: string, role: string): Promise<UserCerts> {
  const add = await cluster.gatectl(['users', 'add', user, '--roles', role]);
  assert.equal(add.code, 0, add.stderr);
  // With create_db_user the db user is the person's own name (docs/db-users.md).
  return cluster.signUser(user, { dbUser: user, dbName: 'acc' });
}

/** The roles granted to the account (and the other grant lines), as SHOW GRANTS lists them. */
async function grantsOf(cluster: Cluster, account: string): Promise<{ roles: string[]; other: string[] }> {
  const rows = await cluster.db.sql(`SHOW GRANTS FOR ${account}`);
  const lines = rows.map((r) => String(Object.values(r)[0]));
  const roles: string[] = [];
  const other: string[] = [];
  for (const line of lines) {
    const role = /^GRANT `([^`]+)` TO /.exec(line);
    if (role) roles.push(role[1]!);
    else other.push(line);
  }
  return { roles: roles.sort(), other };
}

async function isLocked(cluster: Cluster, dbUser: string): Promise<boolean> {
  const rows = await cluster.db.sql(`SHOW CREATE USER '${dbUser}'@'%'`);
  return /ACCOUNT LOCK/.test(String(Object.values(rows[0] ?? {})[0]));
}

async function sessionRows(cluster: Cluster, dbUser: string): Promise<Array<{ engine_id: string }>> {
  return (await cluster.db.sql(
    `SELECT engine_id FROM gatehouse.db_user_sessions WHERE db_user = '${dbUser}'`,
  )) as Array<{
    engine_id: string;
  }>;
}

interface AuditRow {
  event: string;
  user: string;
  db_user: string;
  db_roles?: string[];
  revoked_roles?: string[];
  unlocked?: boolean;
  reason?: string;
}

async function auditEvents(cluster: Cluster, type: string, user: string): Promise<AuditRow[]> {
  const out = await cluster.gatectl(['audit', 'search', '--type', type, '--user', user, '--format', 'json']);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as AuditRow[];
}

function errnoOf(err: unknown): number | undefined {
  return (err as { errno?: number }).errno;
}

async function refusedByDatabase(c: Connection, run: Promise<unknown>, errno: number, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (err: Error) => {
    assert.equal(errnoOf(err), errno, err.message);
    assert.match(err.message, pattern);
    return true;
  });
  // The session goes on after the database's refusal.
  const [rows] = await c.query('SELECT 1 AS one');
  assert.deepEqual(rows, [{ one: 1 }]);
}

describe('automatic database users (one engine)', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ shape: 'single', databaseYaml: ADMIN_YAML });
    await prepareDatabase(cluster);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the first connect makes the user with only the listed roles; the last disconnect locks it', async () => {
    const certs = await addUser(cluster, 'ada', 'acc-auto');
    const c = await connectMysql2(cluster, certs);
    try {
      const [who] = await c.query('SELECT CURRENT_USER() AS u, CURRENT_ROLE() AS r');
      assert.deepEqual(who, [{ u: 'ada@%', r: 'acc_reader' }]);
      const grants = await grantsOf(cluster, "'ada'@'%'");
      assert.deepEqual(grants.roles, ['acc_reader']);
      // Nothing but the roles: USAGE with the certificate subject, and the default role.
      for (const line of grants.other)
        assert.match(
          line,
          /^(GRANT USAGE ON \*\.\* TO `ada`@`%` REQUIRE SUBJECT '\/CN=ada'|SET DEFAULT ROLE `acc_reader` FOR `ada`@`%`)$/,
          line,
        );
      assert.equal(await isLocked(cluster, 'ada'), false);
      const [mine] = await c.query('SELECT x FROM acc.t');
      assert.deepEqual(mine, [{ x: 'mine' }]);
    } finally {
      await c.end();
    }
    await waitFor('ada to be locked after her last session', async () =>
      (await isLocked(cluster, 'ada')) ? true : undefined,
    );
    assert.deepEqual(await sessionRows(cluster, 'ada'), []);
    const created = await waitFor(
      'db.user.create in the audit log',
      async () => (await auditEvents(cluster, 'db.user.create', 'ada'))[0],
    );
    assert.equal(created.db_user, 'ada');
    assert.deepEqual(created.db_roles, ['acc_reader']);
    const locked = await waitFor(
      'db.user.lock in the audit log',
      async () => (await auditEvents(cluster, 'db.user.lock', 'ada'))[0],
    );
    assert.deepEqual(locked.db_roles, ['acc_reader']);
    assert.equal(locked.reason, 'session_end');

    // The next connect unlocks it, and says so.
    const again = await connectMysql2(cluster, certs, { user: 'ada' });
    try {
      assert.equal(await isLocked(cluster, 'ada'), false);
      const [rows] = await again.query('SELECT CURRENT_USER() AS u');
      assert.deepEqual(rows, [{ u: 'ada@%' }]);
    } finally {
      await again.end();
    }
    const updated = await waitFor(
      'db.user.update in the audit log',
      async () => (await auditEvents(cluster, 'db.user.update', 'ada'))[0],
    );
    assert.equal(updated.unlocked, true);
    await waitFor('ada to be locked again', async () => ((await isLocked(cluster, 'ada')) ? true : undefined));
  });

  test('the bypass and its variants are refused by the database, with the gateway check off', async () => {
    const certs = await addUser(cluster, 'bob', 'acc-auto');
    const c = await connectMysql2(cluster, certs, { multipleStatements: true });
    try {
      const [mine] = await c.query('SELECT x FROM t');
      assert.deepEqual(mine, [{ x: 'mine' }]);
      const denied = /denied to user 'bob'/;
      await refusedByDatabase(c, c.query('SELECT x FROM acc_other.secret'), 1142, denied);
      await refusedByDatabase(c, c.query('SELECT t.x FROM t JOIN acc_other.secret s ON s.id = t.id'), 1142, denied);
      await refusedByDatabase(
        c,
        c.query('SELECT x FROM t WHERE id IN (SELECT id FROM acc_other.secret)'),
        1142,
        denied,
      );
      await refusedByDatabase(c, c.query('CALL acc_other.p()'), 1370, denied);
      await refusedByDatabase(c, c.execute('SELECT x FROM acc_other.secret WHERE id = ?', [1]), 1142, denied);
      await refusedByDatabase(
        c,
        c.query("SELECT x FROM acc_other.secret INTO OUTFILE '/tmp/gh-never'"),
        1227,
        /FILE privilege/,
      );
      await refusedByDatabase(c, c.query('USE acc; SELECT x FROM acc_other.secret'), 1142, denied);
      await refusedByDatabase(c, c.query('USE acc_other'), 1044, /denied for user 'bob'.*'acc_other'/);
      // A view in acc that reads acc_other with the invoker's rights: refused by the database,
      // which the gateway (it sees only `acc.v`) could not do.
      await refusedByDatabase(c, c.query('SELECT x FROM v'), 1356, /lack rights/);
      // A DEFINER view is its definer's grant to whoever may read the view: the database lets
      // it through by design (docs/db-users.md, "What each layer covers").
      const [viaDefiner] = await c.query('SELECT x FROM v_definer');
      assert.deepEqual(viaDefiner, [{ x: 'secret' }]);
    } finally {
      await c.end();
    }
  });

  test('a role change takes effect on the next connect; several roles on MariaDB go through one default role', async () => {
    const certs = await addUser(cluster, 'cy', 'acc-change');
    const first = await connectMysql2(cluster, certs);
    try {
      await assert.rejects(first.query("INSERT INTO acc.t VALUES (2, 'cy')"), (err: Error) => errnoOf(err) === 1142);
    } finally {
      await first.end();
    }
    const rolesFile = join(cluster.dataDir, '..', 'db-user-change.yaml');
    writeFileSync(
      rolesFile,
      `kind: role
name: acc-change
options: { create_db_user: true, db_roles: [acc_writer, acc_reader] }
allow: { db_labels: { env: dev }, db_names: ['*'] }
`,
    );
    const replaced = await cluster.gatectl(['roles', 'create', '-f', rolesFile, '--force']);
    assert.equal(replaced.code, 0, replaced.stderr);
    // The engine polls the roles: connect until a session gets the new ones.
    const grants = await waitFor('the new roles on connect', async () => {
      const c = await connectMysql2(cluster, certs);
      try {
        const [rows] = await c.query('SELECT CURRENT_ROLE() AS r');
        const role = (rows as Array<{ r: string | null }>)[0]?.r ?? '';
        if (role === 'acc_reader') return undefined;
        // Both work in one session: MariaDB's one default role holds the two.
        await c.query("INSERT INTO acc.t VALUES (2, 'cy')");
        const [read] = await c.query('SELECT x FROM acc.t WHERE id = 2');
        assert.deepEqual(read, [{ x: 'cy' }]);
        return grantsOf(cluster, "'cy'@'%'");
      } finally {
        await c.end();
      }
    });
    assert.equal(grants.roles.length, 1);
    assert.match(grants.roles[0]!, /^gh_roles_[0-9a-f]{16}$/);
    const wrapped = await grantsOf(cluster, `\`${grants.roles[0]}\``);
    assert.deepEqual(wrapped.roles, ['acc_reader', 'acc_writer']);
    const updated = await waitFor('db.user.update with the new roles', async () =>
      (await auditEvents(cluster, 'db.user.update', 'cy')).find((e) => e.db_roles?.length === 2),
    );
    assert.deepEqual(updated.db_roles, ['acc_writer', 'acc_reader']);

    // And back to one role: the wrapper goes, the role is granted directly again.
    writeFileSync(rolesFile, readRolesWith('[acc_reader]'));
    const back = await cluster.gatectl(['roles', 'create', '-f', rolesFile, '--force']);
    assert.equal(back.code, 0, back.stderr);
    await waitFor('one role again', async () => {
      const c = await connectMysql2(cluster, certs);
      try {
        const [rows] = await c.query('SELECT CURRENT_ROLE() AS r');
        return (rows as Array<{ r: string | null }>)[0]?.r === 'acc_reader' ? true : undefined;
      } finally {
        await c.end();
      }
    });
    assert.deepEqual((await grantsOf(cluster, "'cy'@'%'")).roles, ['acc_reader']);
    const revoked = await waitFor('db.user.update with acc_writer revoked', async () =>
      (await auditEvents(cluster, 'db.user.update', 'cy')).find((e) => e.revoked_roles?.includes('acc_writer')),
    );
    assert.deepEqual(revoked.db_roles, ['acc_reader']);
  });

  test('a session row left by a crashed engine is reaped and the sweep locks the user', async () => {
    const certs = await addUser(cluster, 'dee', 'acc-auto');
    const c = await connectMysql2(cluster, certs);
    await c.end();
    await waitFor('dee to be locked', async () => ((await isLocked(cluster, 'dee')) ? true : undefined));
    // What a crash leaves: the user unlocked and a row for a connection that no longer exists.
    await cluster.db.sql(
      [
        "ALTER USER 'dee'@'%' ACCOUNT UNLOCK",
        "UPDATE gatehouse.db_users SET state = 'active' WHERE db_user = 'dee'",
        "INSERT INTO gatehouse.db_user_sessions (session_id, db_user, engine_id, connection_id) VALUES ('crashed-1', 'dee', 'engine-gone', 4000000000)",
      ].join('; '),
    );
    await waitFor('the sweep to lock dee', async () => ((await isLocked(cluster, 'dee')) ? true : undefined));
    assert.deepEqual(await sessionRows(cluster, 'dee'), []);
    const swept = await waitFor('db.user.lock by the sweep', async () =>
      (await auditEvents(cluster, 'db.user.lock', 'dee')).find((e) => e.reason === 'sweep'),
    );
    assert.equal(swept.db_user, 'dee');
  });

  test('a name taken by a database user Gatehouse did not make is refused, not taken over', async () => {
    await cluster.db.sql("CREATE USER 'eve'@'%' IDENTIFIED BY 'not-gatehouse'");
    const certs = await addUser(cluster, 'eve', 'acc-auto');
    await assert.rejects(connectMysql2(cluster, certs), (err: Error) => {
      assert.equal(errnoOf(err), 1045, err.message);
      assert.match(err.message, /exists that Gatehouse did not make/);
      return true;
    });
    const rows = await cluster.db.sql("SHOW GRANTS FOR 'eve'@'%'");
    assert.equal(rows.length, 1, 'no role was granted to the foreign user');
  });
});

function readRolesWith(dbRoles: string): string {
  return `kind: role
name: acc-change
options: { create_db_user: true, db_roles: ${dbRoles} }
allow: { db_labels: { env: dev }, db_names: ['*'] }
`;
}

describe('automatic database users (two engines on one database)', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ shape: 'split', engines: 2, databaseYaml: ADMIN_YAML });
    await prepareDatabase(cluster);
  });
  after(async () => {
    await cluster?.stop();
  });

  test("two concurrent sessions on two engines don't lock each other out", async () => {
    const certs = await addUser(cluster, 'fay', 'acc-auto');
    // The proxy picks an engine at random: open sessions until both engines carry one.
    const open: Connection[] = [];
    try {
      const byEngine = await waitFor('sessions of fay on both engines', async () => {
        open.push(await connectMysql2(cluster, certs));
        const rows = await sessionRows(cluster, 'fay');
        const engines = new Set(rows.map((r) => r.engine_id));
        return engines.size === 2 && rows.length === open.length ? engines : undefined;
      });
      assert.equal(byEngine.size, 2);
      const threads = new Map<number, Connection>();
      for (const c of open) {
        const [rows] = await c.query('SELECT CONNECTION_ID() AS id');
        threads.set(Number((rows as Array<{ id: string }>)[0]!.id), c);
      }
      // Each row gets its session's connection id just after the login.
      const located = await waitFor('every session row to name its connection', async () => {
        const rows = (await cluster.db.sql(
          "SELECT engine_id, connection_id FROM gatehouse.db_user_sessions WHERE db_user = 'fay'",
        )) as Array<{ engine_id: string; connection_id: string | null }>;
        return rows.every((r) => r.connection_id !== null) ? rows : undefined;
      });
      const [engineA, engineB] = [...byEngine];
      const onA = located.filter((r) => r.engine_id === engineA).map((r) => threads.get(Number(r.connection_id))!);
      const onB = located.filter((r) => r.engine_id === engineB).map((r) => threads.get(Number(r.connection_id))!);
      assert.ok(onA.length > 0 && onB.length > 0);
      // Every session on engine A ends: B's session keeps the user unlocked and working.
      for (const c of onA) await c.end();
      await waitFor("engine A's rows to go", async () =>
        (await sessionRows(cluster, 'fay')).every((r) => r.engine_id === engineB) ? true : undefined,
      );
      assert.equal(await isLocked(cluster, 'fay'), false);
      const [rows] = await onB[0]!.query('SELECT x FROM acc.t');
      assert.deepEqual(rows, [{ x: 'mine' }]);
      // A new session still logs in while B's lives, whichever engine it lands on.
      const extra = await connectMysql2(cluster, certs);
      await extra.end();
      assert.equal(await isLocked(cluster, 'fay'), false);
      // The last session ends: now the user is locked.
      for (const c of onB) await c.end();
      open.length = 0;
      await waitFor('fay to be locked after her last session', async () =>
        (await isLocked(cluster, 'fay')) ? true : undefined,
      );
    } finally {
      for (const c of open) await c.end().catch(() => c.destroy());
    }
  });
});
