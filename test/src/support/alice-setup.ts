// What the `gatehouse start` end-to-end tests set up first: a MariaDB user with a password (in an
// environment variable, as databases[].auth.credentials reads it) and a schema of its own, a
// fresh data dir with its CAs, and user alice with a role that allows that db user on env=dev.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startMariaDb } from '@gatehouse/testing';
import { gatectlOk } from './cli.js';

export async function setUpAlice(t: TestContext, label: string) {
  const db = await startMariaDb();
  const root = mkdtempSync(join(tmpdir(), `gatehouse-${label}-`));
  // node:test runs a test's after hooks in the order they were added, so a process stopped by a
  // hook added later would still be writing into `root` when it is removed (ENOTEMPTY, and the
  // hooks after the failed one never ran: the processes outlived the test file). What uses
  // `root` is stopped through onCleanup instead: last added, first run, then `root` goes.
  const cleanups: Array<() => unknown> = [];
  const onCleanup = (fn: () => unknown): void => {
    cleanups.push(fn);
  };
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
    rmSync(root, { recursive: true, force: true });
  });
  const dataDir = join(root, 'data');
  const dbUser = db.uniqueName(label);
  const schema = db.uniqueName(`${label}_db`);
  const env = `GH_TEST_${label.toUpperCase()}_${dbUser.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  process.env[env] = `pw-${dbUser}`;
  await db.sql(
    `CREATE DATABASE ${schema}; CREATE USER '${dbUser}'@'%' IDENTIFIED BY 'pw-${dbUser}'; GRANT ALL ON ${schema}.* TO '${dbUser}'@'%'`,
  );
  t.after(() => db.sql(`DROP USER IF EXISTS '${dbUser}'@'%'; DROP DATABASE IF EXISTS ${schema}`).catch(() => {}));

  await gatectlOk(dataDir, ['ca', 'init']);
  const roleFile = join(root, 'role.yaml');
  writeFileSync(
    roleFile,
    `kind: role\nname: ${label}\nallow: { db_labels: { env: dev }, db_users: [${dbUser}], db_names: ['*'] }\n`,
  );
  await gatectlOk(dataDir, ['roles', 'create', '-f', roleFile]);
  await gatectlOk(dataDir, ['users', 'add', 'alice', '--roles', label]);
  return { db, root, dataDir, dbUser, schema, env, onCleanup };
}
