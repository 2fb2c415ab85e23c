// `npm run build|typecheck|lint`: installs dependencies when needed, then runs the step.
import { ensureDeps, runBin } from './ensure-deps.mjs';

ensureDeps();
const mode = process.argv[2] ?? '--build';
if (mode === '--lint') {
  runBin('biome', ['lint', '.'], 'lint');
} else {
  // tsc -b both typechecks and emits; an up-to-date build is a no-op.
  runBin('tsc', ['-b'], mode === '--typecheck' ? 'typecheck' : 'build');
}
