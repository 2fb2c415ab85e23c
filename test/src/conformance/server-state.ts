// Puts the server back as it was before each test, so one test's leftovers cannot make the next
// one fail. mtr's own check (include/check-testcase.test, which dumps global variables, schemas,
// users, routines and more) is recorded once as a baseline and compared after every test; when
// it differs, the leftovers are removed and the check runs again.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MariaDb } from '@gatehouse/testing';

export interface ServerState {
  /** Compares the server with the baseline; restores it when it differs. */
  checkAndRestore(): Promise<StateCheck>;
}

export interface StateCheck {
  /** The test left something behind. */
  readonly leaked: boolean;
  /** The leftovers could not all be removed: the diff that remains. */
  readonly unrestored?: string;
}

interface Snapshot {
  readonly schemas: Set<string>;
  readonly users: Set<string>;
  readonly variables: Map<string, string>;
}

/**
 * Loads mtr's helper schema (mtr.check_testcase, mtr.add_suppression) and the `test` schema,
 * which mtr's own bootstrap would create, into a server that mtr did not start.
 */
export async function prepareServer(db: MariaDb, mtrDir: string): Promise<void> {
  await db.sql('CREATE DATABASE IF NOT EXISTS test; DROP DATABASE IF EXISTS mtr; CREATE DATABASE mtr');
  for (const file of ['mtr_check.sql', 'mtr_warnings.sql']) {
    // These files are written for mysqltest: turn `delimiter ||;` into the CLI's form and drop
    // the comment lines, which the CLI would send inside routine bodies.
    const text = readFileSync(join(mtrDir, 'include', file), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*--/.test(line))
      .map((line) => line.replace(/^delimiter (.*);$/i, 'delimiter $1'))
      .join('\n');
    await db.sql(`USE mtr;\n${text}`);
  }
}

export async function recordBaseline(db: MariaDb, mtrDir: string, resultFile: string): Promise<ServerState> {
  const before = await snapshot(db);
  const first = await runCheck(db, mtrDir, resultFile, true);
  if (!first.ok) throw new Error(`mtr's check-testcase failed on the fresh server:\n${first.output}`);
  return {
    async checkAndRestore() {
      const check = await runCheck(db, mtrDir, resultFile, false);
      if (check.ok) return { leaked: false };
      await restore(db, before);
      const again = await runCheck(db, mtrDir, resultFile, false);
      return again.ok ? { leaked: true } : { leaked: true, unrestored: again.output.slice(0, 4000) };
    },
  };
}

function runCheck(
  db: MariaDb,
  mtrDir: string,
  resultFile: string,
  record: boolean,
): Promise<{ ok: boolean; output: string }> {
  const args = [
    '--no-defaults',
    `--socket=${db.socketPath}`,
    '--user=root',
    '--database=test',
    '--silent',
    '--test-file=include/check-testcase.test',
    `--result-file=${resultFile}`,
    ...(record ? ['--record'] : []),
  ];
  return new Promise((resolve) => {
    execFile('mariadb-test', args, { cwd: mtrDir, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: `${stdout}${stderr}` });
    });
  });
}

async function snapshot(db: MariaDb): Promise<Snapshot> {
  const schemas = await db.sql('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA');
  const users = await db.sql("SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) AS u FROM mysql.global_priv");
  const variables = await db.sql(
    'SELECT VARIABLE_NAME AS n, VARIABLE_VALUE AS v FROM information_schema.GLOBAL_VARIABLES',
  );
  return {
    schemas: new Set(schemas.map((r) => r.s ?? '')),
    users: new Set(users.map((r) => r.u ?? '')),
    variables: new Map(variables.map((r) => [r.n ?? '', r.v ?? ''])),
  };
}

function sqlValue(value: string): string {
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function tryAll(db: MariaDb, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    // One by one: a variable that is read-only now, or a user a test already dropped, must not
    // stop the rest of the clean-up.
    await db.sql(statement).catch(() => undefined);
  }
}

async function restore(db: MariaDb, baseline: Snapshot): Promise<void> {
  const now = await snapshot(db);
  const statements: string[] = ['DROP DATABASE IF EXISTS test', 'CREATE DATABASE test'];
  for (const schema of now.schemas) {
    if (!baseline.schemas.has(schema)) statements.push(`DROP DATABASE IF EXISTS \`${schema.replace(/`/g, '``')}\``);
  }
  for (const user of now.users) if (!baseline.users.has(user)) statements.push(`DROP USER IF EXISTS ${user}`);
  for (const [name, value] of now.variables) {
    const was = baseline.variables.get(name);
    if (was !== undefined && was !== value) statements.push(`SET GLOBAL ${name} = ${sqlValue(was)}`);
  }
  statements.push('FLUSH PRIVILEGES');
  await tryAll(db, statements);
}
