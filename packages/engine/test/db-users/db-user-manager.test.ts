// The bookkeeping of automatic database users against a real MariaDB: two managers stand for
// two engines on one database (their own admin connections), so the GET_LOCK and the session
// rows are what keeps them in step. The admin logs in with a password from a file here (the
// end-to-end test covers the x509 admin).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type AuditEvent, type AuditSession, createAudit, DatabaseSchema } from '@gatehouse/common';
import { type MariaDb, startMariaDb } from '@gatehouse/testing';
import pino from 'pino';
import { DbUserManager } from '../../src/db-users/db-user-manager.js';

let db: MariaDb;
let dir: string;
const events: AuditEvent[] = [];
const managers: DbUserManager[] = [];
let role: string;
let admin: string;

function session(id: string, user: string): AuditSession {
  return {
    id,
    user,
    roles: ['auto'],
    dbService: 'acc',
    dbUser: user,
    dbName: '',
    clientAddr: '127.0.0.1:1',
    engineId: 'test',
    proxyId: 'proxy-test',
    clientAttributes: {},
  };
}

function manager(engineId: string): DbUserManager {
  const database = DatabaseSchema.parse({
    name: 'acc',
    uri: `127.0.0.1:${db.port}`,
    tls: { mode: 'verify-ca', ca_file: db.ca.caFile },
    admin_user: { name: admin, password_file: join(dir, 'admin.pw') },
  });
  const m = new DbUserManager({
    database,
    engineId,
    signer: { signDbClient: () => Promise.reject(new Error('a password admin needs no certificate')) },
    audit: createAudit({ sink: { emit: (e) => events.push(e) } }),
    log: pino({ level: 'silent' }),
  });
  managers.push(m);
  return m;
}

async function locked(user: string): Promise<boolean> {
  const rows = await db.sql(`SHOW CREATE USER '${user}'@'%'`);
  return /ACCOUNT LOCK/.test(String(Object.values(rows[0] ?? {})[0]));
}

async function rows(user: string): Promise<number> {
  const [row] = await db.sql(`SELECT COUNT(*) AS n FROM gatehouse.db_user_sessions WHERE db_user = '${user}'`);
  return Number(row?.n);
}

before(async () => {
  db = await startMariaDb();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-db-users-'));
  role = db.uniqueName('reader');
  admin = db.uniqueName('adm');
  writeFileSync(join(dir, 'admin.pw'), 'admin-secret\n');
  await db.sql(
    [
      `CREATE ROLE ${role}`,
      `CREATE USER '${admin}'@'%' IDENTIFIED BY 'admin-secret' REQUIRE SSL`,
      `GRANT CREATE USER, PROCESS ON *.* TO '${admin}'@'%'`,
      `GRANT SELECT ON mysql.user TO '${admin}'@'%'`,
      `GRANT ALL ON gatehouse.* TO '${admin}'@'%'`,
      `GRANT ${role} TO '${admin}'@'%' WITH ADMIN OPTION`,
    ].join('; '),
  );
});

after(async () => {
  await Promise.all(managers.map((m) => m.close()));
  await db.sql(`DROP USER IF EXISTS '${admin}'@'%'; DROP ROLE IF EXISTS ${role}`).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  await db.stop();
});

test('two engines: the user stays unlocked until the last session of either ends', async () => {
  const [a, b] = [manager('engine-a'), manager('engine-b')];
  const user = db.uniqueName('ada');
  const plan = { dbRoles: [role], mode: 'lock' as const };
  // Eight sessions at once, alternating engines, then all but one ending at once.
  const leases = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      (i % 2 === 0 ? a : b).acquire({ user, plan, session: session(`${user}-${i}`, user) }),
    ),
  );
  assert.equal(await locked(user), false);
  assert.equal(await rows(user), 8);
  await Promise.all(leases.slice(0, 7).map((l) => l.release()));
  assert.equal(await locked(user), false, 'one session left: unlocked');
  assert.equal(await rows(user), 1);
  await leases[7]!.release();
  assert.equal(await locked(user), true);
  assert.equal(await rows(user), 0);
  const mine = events.filter((e) => e.db_user === user);
  assert.deepEqual(
    mine.map((e) => e.event).sort(),
    ['db.user.create', ...Array(7).fill('db.user.update'), 'db.user.lock'].sort(),
  );
  // A release twice is once.
  await leases[7]!.release();
  assert.equal(mine.length, events.filter((e) => e.db_user === user).length);
});

test('drop mode: the last session drops the user; the next connect makes it again', async () => {
  const m = manager('engine-c');
  const user = db.uniqueName('bea');
  const plan = { dbRoles: [role], mode: 'drop' as const };
  const first = await m.acquire({ user, plan, session: session(`${user}-1`, user) });
  await first.release();
  assert.deepEqual(await db.sql(`SELECT User FROM mysql.user WHERE User = '${user}'`), []);
  assert.deepEqual(await db.sql(`SELECT db_user FROM gatehouse.db_users WHERE db_user = '${user}'`), []);
  const drop = events.find((e) => e.db_user === user && e.event === 'db.user.drop');
  assert.ok(drop && 'reason' in drop && drop.reason === 'session_end');
  const second = await m.acquire({ user, plan, session: session(`${user}-2`, user) });
  assert.equal(events.filter((e) => e.db_user === user && e.event === 'db.user.create').length, 2);
  await second.release();
});

test('a stale row of a dead connection does not keep the user unlocked; the sweep locks it', async () => {
  const m = manager('engine-d');
  const user = db.uniqueName('cal');
  const lease = await m.acquire({ user, plan: { dbRoles: [role], mode: 'lock' }, session: session(`${user}-1`, user) });
  // The engine "crashes": its row names a connection that no longer exists and is never released.
  await db.sql(`UPDATE gatehouse.db_user_sessions SET connection_id = 4000000001 WHERE db_user = '${user}'`);
  assert.equal(await locked(user), false);
  assert.ok((await m.sweep()) >= 1);
  assert.equal(await locked(user), true);
  assert.equal(await rows(user), 0);
  // A row naming a live connection (any in the processlist) is kept by the sweep, and the late
  // release of the reaped session does not lock the live one out.
  const live = await m.acquire({ user, plan: { dbRoles: [role], mode: 'lock' }, session: session(`${user}-2`, user) });
  const [alive] = await db.sql('SELECT MIN(ID) AS id FROM information_schema.PROCESSLIST');
  live.attach(Number(alive?.id));
  assert.equal(await m.sweep(), 0);
  await lease.release();
  assert.equal(await locked(user), false);
  assert.equal(await rows(user), 1);
  await live.release();
  assert.equal(await locked(user), true);
});
