// A private MariaDB for integration tests: its own datadir, a free port, TLS on, root via the
// unix socket. One server is shared by a whole `npm test` run (see scripts/test.mjs), which
// hands its address to every test process in GATEHOUSE_TEST_MARIADB.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  constants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFreePort } from './free-port.js';
import { createTestCa, type IssuedFiles, openTestCa, type TestCa } from './openssl-ca.js';

const execFileAsync = promisify(execFile);
const ENV_KEY = 'GATEHOUSE_TEST_MARIADB';
const READY_TIMEOUT_MS = 60_000;

export type SqlRow = Record<string, string | null>;

export interface MariaDb {
  readonly host: string;
  readonly port: number;
  readonly socketPath: string;
  /** What `SELECT VERSION()` returns. */
  readonly version: string;
  /** The CA that signed the server certificate and that the server trusts for client certs. */
  readonly ca: TestCa;
  /** Runs SQL as root over the unix socket and returns the rows of the last result set. */
  sql(query: string): Promise<SqlRow[]>;
  /** A client certificate with the given CN, signed by the CA the server trusts. */
  issueClientCert(commonName: string): Promise<IssuedFiles>;
  /** A fresh name with the prefix, for users and schemas that must not collide across tests. */
  uniqueName(prefix: string): string;
  /** Serialized form that another process passes to `attachMariaDb`. */
  toEnv(): string;
  /** Stops the server and removes its files. For an attached (shared) server, does nothing. */
  stop(): Promise<void>;
}

export interface StartMariaDbOptions {
  /** Reuse the run's shared server when one is advertised (default true). */
  readonly shared?: boolean;
  /** Extra mariadbd arguments. */
  readonly args?: readonly string[];
  /**
   * More CA certificates (PEM) the server trusts for client certificates, besides the harness
   * CA: e.g. Gatehouse's db-client CA, for x509 logins by an engine.
   */
  readonly trustCaPem?: string;
}

interface SharedDescriptor {
  readonly host: string;
  readonly port: number;
  readonly socketPath: string;
  readonly version: string;
  readonly caDir: string;
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

export function findExecutable(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_DIRS].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

function requireExecutable(names: readonly string[], pkg: string): string {
  const found = findExecutable(names);
  if (!found) {
    throw new Error(
      `${names[0]} is not installed: run 'apt-get install -y ${pkg}' (npm test does this when run as root)`,
    );
  }
  return found;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

async function runSql(socketPath: string, query: string): Promise<SqlRow[]> {
  const client = requireExecutable(['mariadb', 'mysql'], 'mariadb-client');
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      client,
      ['--no-defaults', `--socket=${socketPath}`, '--user=root', '--batch', '--raw', '--execute', query],
      { maxBuffer: 256 * 1024 * 1024 },
    ));
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`SQL failed: ${stderr || (err as Error).message}\n  query: ${query}`, { cause: err });
  }
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  const header = lines.shift()?.split('\t') ?? [];
  return lines.map((line) => {
    const cells = line.split('\t');
    const row: SqlRow = {};
    header.forEach((name, i) => {
      const cell = cells[i] ?? null;
      row[name] = cell === 'NULL' ? null : cell;
    });
    return row;
  });
}

function makeHandle(desc: SharedDescriptor, ca: TestCa, stop: () => Promise<void>): MariaDb {
  return {
    host: desc.host,
    port: desc.port,
    socketPath: desc.socketPath,
    version: desc.version,
    ca,
    sql: (query) => runSql(desc.socketPath, query),
    issueClientCert: (cn) => ca.issue({ name: uniqueName('client'), subject: `/CN=${cn}`, usage: 'client' }),
    uniqueName,
    toEnv: () => JSON.stringify(desc),
    stop,
  };
}

/** Attaches to the server another process started, from its `toEnv()` string. */
export function attachMariaDb(env: string): MariaDb {
  const desc = JSON.parse(env) as SharedDescriptor;
  return makeHandle(desc, openTestCa(desc.caDir), async () => {});
}

function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no error log was written)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Turns mariadbd's error log into the one-line cause a person needs. */
function explainFailure(log: string, port: number): string {
  if (/Bind on TCP\/IP port|Address already in use/i.test(log)) {
    const reported = /running on port: (\d+)/.exec(log)?.[1];
    return `port ${reported ?? port} is already taken`;
  }
  if (/No space left on device|Errcode: 28/i.test(log)) return 'the disk is full';
  if (/Permission denied|Errcode: 13/i.test(log)) return 'permission denied on the data directory';
  return 'mariadbd exited during startup';
}

export interface Guardian {
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
}

/**
 * Starts `program` under the guardian (mariadb-guardian.ts), which stops the server and removes
 * `removeDir` when the owner goes away, whatever the way. `user`: run it (and so the server) as
 * that OS user, for servers that refuse root (PostgreSQL).
 */
export function spawnGuardian(
  program: string,
  args: string[],
  removeDir: string,
  user?: { uid: number; gid: number },
): Guardian {
  let script = fileURLToPath(new URL('./mariadb-guardian.js', import.meta.url));
  if (user !== undefined) {
    // Another OS user may not be able to reach the checkout (a clone in a private 0700 dir):
    // it runs its own copy of the guardian (builtins only), from the dir it owns.
    const own = join(removeDir, 'guardian.mjs');
    copyFileSync(script, own);
    chownSync(own, user.uid, user.gid);
    script = own;
  }
  const child = spawn(process.execPath, [script, JSON.stringify({ program, args, removeDir })], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
    ...(user === undefined ? {} : { ...user, cwd: removeDir }),
  });
  const exited = new Promise<string>((resolve) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line.startsWith('exit ') || line.startsWith('error ')) resolve(line);
    });
    child.on('exit', (code) => resolve(`guardian exited ${code}`));
  });
  // The test process may exit without calling stop(); the closed pipe then stops the server.
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stdin as unknown as { unref(): void }).unref();
  return { child, exited };
}

async function waitForReady(logFile: string, guardian: Guardian, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let failed: string | undefined;
  void guardian.exited.then((why) => {
    failed = why;
  });
  while (Date.now() < deadline) {
    if (failed !== undefined) {
      const log = tail(logFile);
      throw new Error(`MariaDB failed to start: ${explainFailure(log, port)} (${failed}). Its error log:\n${log}`);
    }
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('ready for connections')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`MariaDB did not become ready in ${READY_TIMEOUT_MS / 1000}s. Its error log:\n${tail(logFile)}`);
}

async function installDataDir(dataDir: string, tmpDir: string): Promise<void> {
  const installer = requireExecutable(['mariadb-install-db', 'mysql_install_db'], 'mariadb-server');
  try {
    await execFileAsync(installer, [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--user=root',
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      // The bootstrap server's temporary tables must not collide with another run's in /tmp.
      `--tmpdir=${tmpDir}`,
    ]);
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    throw new Error(`mariadb-install-db failed:\n${out.trim().split('\n').slice(-30).join('\n')}`, { cause: err });
  }
}

/**
 * Starts (or, inside `npm test`, attaches to) a private MariaDB with TLS and x509 client
 * certificates. Startup failures carry the server's own error log.
 */
export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDb> {
  const sharedEnv = process.env[ENV_KEY];
  if ((options.shared ?? true) && sharedEnv) return attachMariaDb(sharedEnv);

  const mariadbd = requireExecutable(['mariadbd', 'mysqld'], 'mariadb-server');
  // The free port can be taken between our probe and mariadbd's bind: start over a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(mariadbd, options.args ?? [], options.trustCaPem);
    } catch (err) {
      if (!/already taken/.test((err as Error).message) || attempt >= 3) throw err;
    }
  }
}

async function launch(mariadbd: string, extraArgs: readonly string[], trustCaPem?: string): Promise<MariaDb> {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-mariadb-'));
  const dataDir = join(root, 'data');
  const caDir = mkdtempSync(join(root, 'ca-'));
  const socketPath = join(root, 'mysqld.sock');
  const logFile = join(root, 'error.log');
  let guardian: Guardian | undefined;
  const stop = async (): Promise<void> => {
    if (!guardian) {
      rmSync(root, { recursive: true, force: true });
      return;
    }
    const child = guardian.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    // The guardian is unref'd so a forgotten stop() cannot hold a test process open; while we
    // wait for it here, it must keep the event loop alive.
    child.ref();
    child.stdin?.end();
    await gone;
  };
  try {
    const ca = await createTestCa(caDir);
    const server = await ca.issue({
      name: 'server',
      subject: '/CN=localhost',
      sans: ['DNS:localhost', 'IP:127.0.0.1'],
      usage: 'server',
    });
    await installDataDir(dataDir, root);
    let trustFile = ca.caFile;
    if (trustCaPem !== undefined) {
      trustFile = join(root, 'trusted-cas.pem');
      writeFileSync(trustFile, `${ca.caPem.trimEnd()}\n${trustCaPem.trimEnd()}\n`);
    }
    const port = await findFreePort();
    const args = [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socketPath}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(root, 'mysqld.pid')}`,
      `--log-error=${logFile}`,
      `--tmpdir=${root}`,
      '--user=root',
      '--skip-name-resolve',
      `--ssl-ca=${trustFile}`,
      `--ssl-cert=${server.certFile}`,
      `--ssl-key=${server.keyFile}`,
      '--plugin-load-add=auth_ed25519',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      '--max-allowed-packet=1G',
      '--max-connections=5000',
      '--local-infile=1',
      '--skip-log-bin',
      '--performance-schema=OFF',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=16M',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      ...extraArgs,
    ];
    guardian = spawnGuardian(mariadbd, args, root);
    await waitForReady(logFile, guardian, port);
    const [row] = await runSql(socketPath, 'SELECT VERSION() AS v');
    const desc: SharedDescriptor = { host: '127.0.0.1', port, socketPath, version: row?.v ?? '', caDir };
    return makeHandle(desc, ca, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}
