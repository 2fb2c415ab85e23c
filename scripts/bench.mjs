// `npm run bench [-- options]`: install what is missing (npm deps, MariaDB, sysbench), build,
// then run the benchmark suite. Plain Node with no dependencies, like scripts/test.mjs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDeps, ROOT, runBin } from './ensure-deps.mjs';
import { ensureSystem } from './ensure-system.mjs';

ensureSystem([{ names: ['sysbench'], pkg: 'sysbench' }]);
ensureDeps();
runBin('tsc', ['-b'], 'typecheck and build');

const child = spawn(process.execPath, [join(ROOT, 'bench', 'dist', 'src', 'run.js'), ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
});
// The bench stops its own MariaDB and gateways on SIGINT/SIGTERM; pass the signal on and wait.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
