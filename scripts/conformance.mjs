// `npm run conformance`: MariaDB's own test suite direct and through a one-process gateway (see
// docs/conformance.md). Plain Node: it installs what it needs (mariadb-test comes with
// ensureSystem), builds, then runs the runner with the arguments it was given.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDeps, ROOT, runBin } from './ensure-deps.mjs';
import { ensureSystem } from './ensure-system.mjs';

ensureDeps();
ensureSystem();
runBin('tsc', ['-b'], 'build');
const r = spawnSync(process.execPath, [join(ROOT, 'test/dist/src/conformance/main.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
