// Makes sure the OS programs the tests and the demo need are present.
// Plain Node with no dependencies: it runs before `npm install`.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];
// Debian keeps the PostgreSQL server programs off PATH, one directory per major version.
const PG_LIB = '/usr/lib/postgresql';

function postgresBinDirs() {
  return existsSync(PG_LIB) ? readdirSync(PG_LIB).map((v) => join(PG_LIB, v, 'bin')) : [];
}

/** Programs we need, and the Debian package that provides each. */
export const REQUIRED_PROGRAMS = [
  { names: ['mariadbd', 'mysqld'], pkg: 'mariadb-server' },
  { names: ['mariadb-install-db', 'mysql_install_db'], pkg: 'mariadb-server' },
  { names: ['mariadb', 'mysql'], pkg: 'mariadb-client' },
  { names: ['openssl'], pkg: 'openssl' },
  { names: ['initdb'], pkg: 'postgresql' },
  { names: ['psql'], pkg: 'postgresql-client' },
  // node-gyp builds the proxy's unix peer-credentials addon during npm install, so these come
  // first; without them the install still succeeds and the addon is left out.
  { names: ['g++'], pkg: 'build-essential' },
  { names: ['make'], pkg: 'build-essential' },
  { names: ['python3'], pkg: 'python3' },
  // The audit web app's browser tests drive Debian's Chromium (playwright-core downloads nothing).
  { names: ['chromium'], pkg: 'chromium' },
  // systemd socket activation of the proxy is tested through systemd-socket-activate.
  { names: ['systemd-socket-activate'], pkg: 'systemd' },
  // mariadb-test-run and MariaDB's own test suite, for the conformance runner.
  { names: ['mariadb-test', 'mysqltest'], pkg: 'mariadb-test' },
];

export function findProgram(names) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_DIRS, ...postgresBinDirs()].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

function missingPackages(programs) {
  return [...new Set(programs.filter((p) => !findProgram(p.names)).map((p) => p.pkg))];
}

/**
 * Installs missing packages with apt when running as root, otherwise exits with the exact
 * command a person must run. `extra` lets callers (bench) ask for more programs.
 */
export function ensureSystem(extra = []) {
  const programs = [...REQUIRED_PROGRAMS, ...extra];
  const missing = missingPackages(programs);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = findProgram(['apt-get']) !== undefined;
  if (!isRoot || !hasApt) {
    const how = hasApt
      ? `sudo sh -c '${cmd}'`
      : `install the packages ${missing.join(', ')} with your OS package manager`;
    console.error(`gatehouse: missing system packages: ${missing.join(', ')}\n  run: ${how}`);
    process.exit(1);
  }
  console.log(`gatehouse: installing missing system packages: ${missing.join(', ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) {
      console.error(`gatehouse: 'apt-get ${args.join(' ')}' failed (exit ${r.status}); run it yourself: ${cmd}`);
      process.exit(1);
    }
  }
  const still = missingPackages(programs);
  if (still.length > 0) {
    console.error(`gatehouse: still missing after install: ${still.join(', ')}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const withBench = process.argv.includes('--bench');
  ensureSystem(withBench ? [{ names: ['sysbench'], pkg: 'sysbench' }] : []);
}
