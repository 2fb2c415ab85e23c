import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { findExecutable, type MariaDb, startMariaDb } from '../src/index.js';

const execFileAsync = promisify(execFile);
let db: MariaDb;

before(async () => {
  db = await startMariaDb();
});
after(() => db.stop());

function mariadbCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const cli = findExecutable(['mariadb', 'mysql']);
  assert.ok(cli, 'the mariadb client is installed');
  return execFileAsync(cli, ['--no-defaults', '--protocol=TCP', '-h', db.host, '-P', String(db.port), ...args]);
}

test('a REQUIRE SUBJECT user logs in with a harness-signed client cert over TLS', async () => {
  const user = db.uniqueName('alice');
  await db.sql(`CREATE USER '${user}'@'%' REQUIRE SUBJECT '/CN=${user}'`);
  const cert = await db.issueClientCert(user);
  const { stdout } = await mariadbCli([
    `--user=${user}`,
    `--ssl-ca=${db.ca.caFile}`,
    `--ssl-cert=${cert.certFile}`,
    `--ssl-key=${cert.keyFile}`,
    '--ssl-verify-server-cert',
    '--batch',
    '--skip-column-names',
    '-e',
    "SELECT current_user(), (SELECT variable_value FROM information_schema.session_status WHERE variable_name = 'Ssl_version')",
  ]);
  const [currentUser, tlsVersion] = stdout.trim().split('\t');
  assert.equal(currentUser, `${user}@%`);
  assert.match(tlsVersion ?? '', /^TLSv1\.[23]$/);
});

test('the same user without a client cert is refused', async () => {
  const user = db.uniqueName('bob');
  await db.sql(`CREATE USER '${user}'@'%' REQUIRE SUBJECT '/CN=${user}'`);
  await assert.rejects(mariadbCli([`--user=${user}`, `--ssl-ca=${db.ca.caFile}`, '-e', 'SELECT 1']), (err: Error) => {
    assert.match((err as { stderr?: string }).stderr ?? '', /ERROR 1045/);
    return true;
  });
});

test('a client cert with another subject is refused', async () => {
  const user = db.uniqueName('carol');
  await db.sql(`CREATE USER '${user}'@'%' REQUIRE SUBJECT '/CN=${user}'`);
  const wrong = await db.issueClientCert('mallory');
  await assert.rejects(
    mariadbCli([
      `--user=${user}`,
      `--ssl-ca=${db.ca.caFile}`,
      `--ssl-cert=${wrong.certFile}`,
      `--ssl-key=${wrong.keyFile}`,
      '-e',
      'SELECT 1',
    ]),
    (err: Error) => {
      assert.match((err as { stderr?: string }).stderr ?? '', /ERROR 1045/);
      return true;
    },
  );
});

test('sql() returns rows with NULLs as null', async () => {
  const rows = await db.sql("SELECT 1 AS one, NULL AS nothing, 'text' AS word");
  assert.deepEqual(rows, [{ one: '1', nothing: null, word: 'text' }]);
});
