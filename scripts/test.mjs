// `npm test`: install what is missing, typecheck and build, lint, then run every test with
// node:test against one MariaDB shared by the whole run. Plain Node with no dependencies.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ensureDeps, ROOT, runBin } from './ensure-deps.mjs';
import { ensureSystem } from './ensure-system.mjs';

const started = Date.now();
const filters = process.argv.slice(2);

// System packages first: npm install builds the native addon with their compiler.
ensureSystem();
ensureDeps();
runBin('tsc', ['-b'], 'typecheck and build');
runBin('biome', ['lint', '.'], 'lint');

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) findTests(p, out);
    // Only outputs whose source still exists: tsc -b leaves the output of a moved or deleted
    // test behind in dist, and running it would test code that is gone.
    else if (entry.endsWith('.test.js') && existsSync(p.replace(`${sep}dist${sep}`, sep).replace(/\.js$/, '.ts')))
      out.push(p);
  }
  return out;
}

const roots = [
  ...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'dist', 'test')),
  join(ROOT, 'test', 'dist', 'src'),
  join(ROOT, 'bench', 'dist', 'test'),
];
const files = roots
  .flatMap((r) => findTests(r))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(ROOT, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('gatehouse: no test files matched');
  process.exit(1);
}

// One MariaDB for the run: startup is paid once, tests create their own users and schemas.
const { startMariaDb, startPostgres: startPostgresServer } = await import(
  join(ROOT, 'packages/testing/dist/src/index.js')
);
let db;
try {
  db = await startMariaDb({ shared: false });
} catch (err) {
  console.error(`gatehouse: could not start the test MariaDB: ${err.message}`);
  process.exit(1);
}

// PostgreSQL only when a selected test needs it (the store and audit contract suites, the
// scale-out e2e): one server for the run, a database per test.
let pg;
if (files.some((f) => readFileSync(f, 'utf8').includes('startPostgres('))) {
  try {
    pg = await startPostgresServer({ shared: false });
  } catch (err) {
    console.error(`gatehouse: could not start the test PostgreSQL: ${err.message}`);
    await db.stop();
    process.exit(1);
  }
}

const tapDir = mkdtempSync(join(tmpdir(), 'gatehouse-tap-'));
const tapFile = join(tapDir, 'results.tap');
const concurrency = process.env.GATEHOUSE_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      GATEHOUSE_TEST_MARIADB: db.toEnv(),
      ...(pg ? { GATEHOUSE_TEST_POSTGRES: pg.toEnv() } : {}),
    },
  },
);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
  await db.stop();
  await pg?.stop();
  rmSync(tapDir, { recursive: true, force: true });
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
if (stopping) await new Promise(() => {});
await db.stop();
await pg?.stop();

const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
rmSync(tapDir, { recursive: true, force: true });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\ngatehouse: ${files.length} test files in ${seconds}s`);
console.log(`tests: ${count('pass')} passed, ${count('fail')} failed`);
process.exit(code === 0 && count('fail') === 0 ? 0 : 1);
