// `npm run fuzz [filter…]`: every decoder fuzz test (test/src/fuzz) with many more cases than
// `npm test` runs: GATEHOUSE_FUZZ_RUNS (default 1,000,000 per decoder) and a fresh seed, printed
// so that a failure can be replayed with GATEHOUSE_FUZZ_SEED=<seed>. Plain Node.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeps, ROOT, runBin } from './ensure-deps.mjs';

ensureDeps();
runBin('tsc', ['-b'], 'build');
const runs = process.env.GATEHOUSE_FUZZ_RUNS ?? '1000000';
const seed = process.env.GATEHOUSE_FUZZ_SEED ?? String(Date.now() % 2 ** 31);
const dir = join(ROOT, 'test/dist/src/fuzz');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.js') && (filters.length === 0 || filters.some((s) => f.includes(s))))
  .map((f) => join(dir, f));
console.log(`gatehouse fuzz: ${runs} cases per decoder, seed ${seed}, ${files.length} files`);
const r = spawnSync(process.execPath, ['--test', '--test-timeout=0', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, GATEHOUSE_FUZZ_RUNS: runs, GATEHOUSE_FUZZ_SEED: seed },
});
console.log(`gatehouse fuzz: seed ${seed}`);
process.exit(r.status ?? 1);
