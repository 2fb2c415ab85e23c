// A private PostgreSQL for tests: its own data dir, a free port on loopback, trust auth for the
// superuser `postgres`. One server is shared by a whole `npm test` run (scripts/test.mjs starts it
// only when a selected test file needs it and passes it on in GATEHOUSE_TEST_POSTGRES); each test
// takes a database of its own with `createDatabase()`, which is far cheaper than a server.
//
// PostgreSQL refuses to run as root, and CI runs as root: then the data dir is chowned to the
// `postgres` OS user (created by the Debian package) and the server runs as that user.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from './free-port.js';
import { type Guardian, spawnGuardian } from './mariadb.js';

const execFileAsync = promisify(execFile);
const ENV_KEY = 'GATEHOUSE_TEST_POSTGRES';
const READY_TIMEOUT_MS = 60_000;
const PG_LIB = '/usr/lib/postgresql';

export interface Postgres {
  readonly host: string;
  readonly port: number;
  /** The superuser's URL for the `postgres` database. */
  readonly url: string;
  /** A fresh, empty database; returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser (psql) in `database` (default `postgres`) and returns stdout. */
  sql(query: string, database?: string): Promise<string>;
  /** Serialized form that another process passes to `attachPostgres`. */
  toEnv(): string;
  /** Stops the server (for a shared one: does nothing). */
  stop(): Promise<void>;
  /** Shuts the server down, keeping its data (every connection ends). Owned servers only. */
  pause(): Promise<void>;
  /** Starts it again after pause(), on the same port and data. Owned servers only. */
  resume(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Reuse the run's shared server when one is advertised (default true). */
  readonly shared?: boolean;
  /** Keep fsync and synchronous commit on, as production runs (benchmarks); default off. */
  readonly durable?: boolean;
}

interface Descriptor {
  readonly host: string;
  readonly port: number;
}

/** The directory with initdb and postgres: the newest /usr/lib/postgresql/<ver>/bin (Debian). */
export function findPostgresBinDir(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB)
    .filter((v) => existsSync(join(PG_LIB, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_LIB, versions[0], 'bin');
}

function requireBinDir(): string {
  const dir = findPostgresBinDir();
  if (!dir)
    throw new Error("PostgreSQL is not installed: run 'apt-get install -y postgresql' (npm test does this as root)");
  return dir;
}

/** The OS user to run as: ourselves, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const out = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  return { uid: Number(out), gid: Number(gid) };
}

function urlOf(desc: Descriptor, database = 'postgres'): string {
  return `postgres://postgres@${desc.host}:${desc.port}/${database}`;
}

async function runSql(desc: Descriptor, query: string, database = 'postgres'): Promise<string> {
  try {
    const { stdout } = await execFileAsync(
      'psql',
      ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', urlOf(desc, database), '-c', query],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`SQL failed: ${stderr || (err as Error).message}\n  query: ${query}`, { cause: err });
  }
}

function makeHandle(desc: Descriptor, control: Pick<Postgres, 'stop' | 'pause' | 'resume'>): Postgres {
  return {
    host: desc.host,
    port: desc.port,
    url: urlOf(desc),
    async createDatabase(prefix = 'gh') {
      const name = `${prefix}_${randomBytes(5).toString('hex')}`;
      await runSql(desc, `CREATE DATABASE ${name}`);
      return urlOf(desc, name);
    },
    sql: (query, database) => runSql(desc, query, database),
    toEnv: () => JSON.stringify(desc),
    ...control,
  };
}

const notOwned = async (): Promise<never> => {
  throw new Error('this PostgreSQL belongs to another process');
};

/** Attaches to the server another process started, from its `toEnv()` string. */
export function attachPostgres(env: string): Postgres {
  return makeHandle(JSON.parse(env) as Descriptor, { stop: async () => {}, pause: notOwned, resume: notOwned });
}

function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no server log was written)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

async function waitForReady(logFile: string, guardian: Guardian, from: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let failed: string | undefined;
  void guardian.exited.then((why) => {
    failed = why;
  });
  while (Date.now() < deadline) {
    if (failed !== undefined) throw new Error(`PostgreSQL failed to start (${failed}). Its log:\n${tail(logFile)}`);
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').slice(from).includes('ready to accept connections'))
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`PostgreSQL did not become ready in ${READY_TIMEOUT_MS / 1000}s. Its log:\n${tail(logFile)}`);
}

async function stopGuardian(guardian: Guardian | undefined): Promise<void> {
  if (!guardian) return;
  const child = guardian.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.ref();
  child.stdin?.end();
  await gone;
}

/**
 * Starts (or, inside `npm test`, attaches to) a private PostgreSQL. Startup failures carry the
 * server's own log.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<Postgres> {
  const sharedEnv = process.env[ENV_KEY];
  if ((options.shared ?? true) && sharedEnv) return attachPostgres(sharedEnv);
  const bin = requireBinDir();
  const user = runAs();
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-postgres-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  if (user) chownSync(root, user.uid, user.gid);
  chmodSync(root, 0o700);
  try {
    await execFileAsync(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      {
        ...(user ?? {}),
        cwd: root,
      },
    );
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    throw new Error(`initdb failed:\n${out.trim().split('\n').slice(-20).join('\n')}`, { cause: err });
  }
  const desc: Descriptor = { host: '127.0.0.1', port: await findFreePort() };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(desc.port),
    '-k',
    root,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'logging_collector=off',
    '-c',
    'max_connections=300',
    '-c',
    `shared_buffers=${options.durable ? '256MB' : '32MB'}`,
    // Test data is thrown away: durability costs time and buys nothing here.
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  let guardian: Guardian | undefined;
  // postgres logs to stderr; a shell redirect appends it to a file we can show on failure.
  const launch = async (): Promise<void> => {
    const from = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const script = `exec "$0" "$@" >>'${logFile}' 2>&1`;
    guardian = spawnGuardian('/bin/sh', ['-c', script, join(bin, 'postgres'), ...args], root, user);
    await waitForReady(logFile, guardian, from);
  };
  try {
    await launch();
  } catch (err) {
    await stopGuardian(guardian);
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return makeHandle(desc, {
    async stop() {
      await stopGuardian(guardian);
      // After a pause() the guardian was killed without cleaning up.
      rmSync(root, { recursive: true, force: true });
    },
    async pause() {
      // A fast shutdown (SIGINT to the postmaster) ends every connection, as a real restart
      // does. The guardian reports the exit and keeps the files; a new guardian takes over.
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const old = guardian;
      // The guardian and its pipe are unref'd; while we wait for them they must hold the loop.
      old?.child.ref();
      (old?.child.stdout as unknown as { ref(): void } | undefined)?.ref();
      process.kill(pid, 'SIGINT');
      await old?.exited;
      await killGuardianKeepingFiles(old);
    },
    resume: launch,
  });
}

// After a restart's shutdown, closing the old guardian's stdin would remove the data dir; it is
// killed instead, and the new guardian takes over the cleanup.
async function killGuardianKeepingFiles(guardian: Guardian | undefined): Promise<void> {
  if (!guardian) return;
  const child = guardian.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}
