// LOAD DATA LOCAL INFILE in every position where the server may ask for a file: a text query,
// and a prepared statement's COM_STMT_EXECUTE, which is how `mariadb-test --ps-protocol` (the
// binary protocol) sends it. The session must survive and give what a direct session gives.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

let cluster: Cluster;
let certs: UserCerts;
let root: string;

before(async () => {
  cluster = await startCluster({ shape: 'single' });
  root = join(cluster.dataDir, '..');
  const roleFile = join(root, 'loader-role.yaml');
  writeFileSync(
    roleFile,
    `kind: role
name: loader
options: { allow_local_infile: true }
allow:
  db_labels: { env: [dev] }
  db_users: [app_rw]
  db_names: [app]
`,
  );
  for (const args of [
    ['roles', 'create', '-f', roleFile],
    ['users', 'add', 'lou', '--roles', 'loader', '--db-users', 'app_rw'],
  ]) {
    const r = await cluster.gatectl(args);
    assert.equal(r.code, 0, r.stderr);
  }
  certs = await cluster.signUser('lou', { dbUser: 'app_rw', dbName: 'app' });
  await cluster.db.sql('CREATE TABLE app.loaded (id INT, v VARCHAR(20))');
});
after(async () => {
  await cluster?.stop();
});

/** Runs a mysqltest script with mariadb-test and returns what it printed (or why it failed). */
function mariadbTest(script: string, connection: readonly string[], ps: boolean): Promise<string> {
  const file = join(root, `script-${Math.random().toString(36).slice(2)}.test`);
  writeFileSync(file, script);
  const args = [
    '--no-defaults',
    '--protocol=tcp',
    '--host=127.0.0.1',
    '--user=app_rw',
    '--database=app',
    ...connection,
  ];
  if (ps) args.push('--ps-protocol');
  args.push(`--test-file=${file}`);
  return new Promise((resolve) => {
    execFile('mariadb-test', args, (err, stdout, stderr) =>
      resolve(`${err ? `exit ${err.code}\n` : ''}${stdout}${stderr}`),
    );
  });
}

for (const ps of [true, false]) {
  test(`LOAD DATA LOCAL INFILE through the gateway gives what it gives direct (${ps ? '--ps-protocol' : 'text'})`, async () => {
    const data = join(root, 'rows.tsv');
    writeFileSync(data, '1\tone\n2\ttwo\n');
    const script = [
      'DELETE FROM loaded;',
      `LOAD DATA LOCAL INFILE '${data}' INTO TABLE loaded;`,
      'SELECT id, v FROM loaded ORDER BY id;',
      // A file the client cannot read: the command fails, the session goes on.
      '--error 2',
      `LOAD DATA LOCAL INFILE '${join(root, 'no-such-file')}' INTO TABLE loaded;`,
      'SELECT COUNT(*) FROM loaded;',
      '',
    ].join('\n');
    const directCert = await cluster.db.issueClientCert('app_rw');
    const direct = await mariadbTest(
      script,
      [
        `--port=${cluster.db.port}`,
        `--ssl-ca=${cluster.db.ca.caFile}`,
        `--ssl-cert=${directCert.certFile}`,
        `--ssl-key=${directCert.keyFile}`,
      ],
      ps,
    );
    assert.match(direct, /1\tone\n2\ttwo/, direct);
    const through = await mariadbTest(
      script,
      [
        `--port=${cluster.mysqlPort}`,
        `--ssl-ca=${certs.casFile}`,
        `--ssl-cert=${certs.certFile}`,
        `--ssl-key=${certs.keyFile}`,
      ],
      ps,
    );
    assert.equal(through, direct);
  });
}
