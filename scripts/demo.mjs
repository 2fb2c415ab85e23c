// `npm run demo`: a throwaway MariaDB, Gatehouse (the embedded default: auth, proxy and engine
// in one process), a role and a user `alice` with a certificate, and the command to paste.
// Runs until Ctrl-C, then removes everything it made. Plain Node: it installs what it needs.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDeps, ROOT, runBin } from './ensure-deps.mjs';
import { ensureSystem } from './ensure-system.mjs';

const run = promisify(execFile);
ensureSystem();
ensureDeps();
runBin('tsc', ['-b'], 'build');

const { startMariaDb } = await import(join(ROOT, 'packages/testing/dist/src/index.js'));
const GATECTL = join(ROOT, 'packages/cli/bin/gatectl.js');
const GATEHOUSE = join(ROOT, 'packages/cli/bin/gatehouse.js');
const root = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
const dataDir = join(root, 'data');
let db;
let gatehouse;
let stopping = false;

async function gatectl(...args) {
  try {
    const { stdout } = await run(process.execPath, [GATECTL, '--data-dir', dataDir, ...args]);
    return stdout;
  } catch (err) {
    throw new Error(`gatectl ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** The port if it is free on 127.0.0.1, else any free port. */
function pickPort(preferred) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => {
        const { port } = any.address();
        any.close(() => resolve(port));
      });
    });
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}

async function cleanUp(code) {
  if (stopping) return;
  stopping = true;
  if (gatehouse && gatehouse.exitCode === null) {
    const gone = new Promise((r) => gatehouse.once('exit', r));
    gatehouse.kill('SIGTERM');
    await gone;
  }
  await db?.stop();
  rmSync(root, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void cleanUp(0));
process.on('SIGTERM', () => void cleanUp(0));

try {
  console.log('gatehouse demo: creating certificate authorities');
  await gatectl('ca', 'init');
  const dbClientCa = await gatectl('auth', 'export', '--type', 'db-client');

  console.log('gatehouse demo: starting a throwaway MariaDB that trusts the db-client CA');
  db = await startMariaDb({ shared: false, trustCaPem: dbClientCa });
  await db.sql(
    [
      'CREATE DATABASE demo',
      'CREATE TABLE demo.greetings (id INT PRIMARY KEY AUTO_INCREMENT, text VARCHAR(100))',
      "INSERT INTO demo.greetings (text) VALUES ('hello from behind the gateway')",
      // No password: MariaDB accepts alice only with a certificate whose subject is CN=alice,
      // which only Gatehouse's engine can obtain (from the db-client CA).
      "CREATE USER 'alice'@'%' REQUIRE SUBJECT '/CN=alice'",
      "GRANT ALL ON demo.* TO 'alice'@'%'",
    ].join('; '),
  );

  const [mysqlPort, webPort, proxyDiagPort, diagPort] = [
    await pickPort(3036),
    await pickPort(3080),
    await pickPort(3081),
    await pickPort(3082),
  ];
  const configFile = join(root, 'gatehouse.yaml');
  writeFileSync(
    configFile,
    `version: v1
data_dir: ${JSON.stringify(dataDir)}
proxy:
  mysql_listen: 127.0.0.1:${mysqlPort}
  web_listen: 127.0.0.1:${webPort}
  diag_listen: 127.0.0.1:${proxyDiagPort}
  public_addr: [localhost, 127.0.0.1]
engine:
  proxy_addr: 127.0.0.1:${webPort}
  diag_listen: 127.0.0.1:${diagPort}
  databases:
    - name: demo-mariadb
      uri: 127.0.0.1:${db.port}
      labels: { env: demo }
      tls: { mode: verify-full, ca_file: ${JSON.stringify(db.ca.caFile)} }
      auth: { mode: x509 }
`,
  );
  const roleFile = join(root, 'demo-role.yaml');
  writeFileSync(
    roleFile,
    `kind: role
name: demo
options: { max_session_ttl: 8h, client_idle_timeout: 30m }
allow:
  db_labels: { env: demo }
  db_users: ["{{internal.db_users}}"]
  db_names: [demo]
`,
  );
  await gatectl('roles', 'create', '-f', roleFile);
  await gatectl('users', 'add', 'alice', '--roles', 'demo', '--db-users', 'alice', '--db-names', 'demo');

  console.log(`gatehouse demo: starting gatehouse (proxy on 127.0.0.1:${mysqlPort})`);
  gatehouse = spawn(process.execPath, [GATEHOUSE, 'start', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  gatehouse.stderr.on('data', (d) => {
    errors += d;
  });
  gatehouse.on('exit', (code) => {
    if (!stopping) {
      console.error(`gatehouse exited unexpectedly (${code}):\n${errors}`);
      void cleanUp(1);
    }
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = JSON.parse(await gatectl('db', 'ls', '--format', 'json'));
    if (rows.some((r) => r.name === 'demo-mariadb' && r.health === 'healthy')) break;
    if (Date.now() > deadline) throw new Error('the demo database did not become healthy within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }

  const signed = await gatectl(
    'auth',
    'sign',
    '--user',
    'alice',
    '--db',
    'demo-mariadb',
    '--db-user',
    'alice',
    '--db-name',
    'demo',
    '--ttl',
    '1h',
    '--out',
    join(root, 'alice'),
    '--proxy-mysql',
    `127.0.0.1:${mysqlPort}`,
  );
  console.log(`
Gatehouse is running. alice has a certificate, and no database password.

${signed.trim()}

Try:  SELECT current_user(), text FROM greetings;
Then see it in the audit log:
  node ${GATECTL} --data-dir ${dataDir} audit search --user alice

Press Ctrl-C to stop the demo and remove everything it created.`);
} catch (err) {
  console.error(`gatehouse demo: ${err.message}`);
  await cleanUp(1);
}
