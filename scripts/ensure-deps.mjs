// Installs npm dependencies when node_modules is missing or older than the manifests.
// Plain Node with no dependencies, so it can run on a fresh clone.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const STAMP = join(ROOT, 'node_modules', '.gatehouse-deps-stamp');

function manifestDigest() {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const files = ['package.json', 'package-lock.json', ...root.workspaces.map((w) => `${w}/package.json`)];
  const hash = createHash('sha256');
  for (const f of files) {
    const p = join(ROOT, f);
    hash.update(f);
    if (existsSync(p)) hash.update(readFileSync(p));
  }
  return hash.digest('hex');
}

export function ensureDeps() {
  const digest = manifestDigest();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest) return;
  const hasLock = existsSync(join(ROOT, 'package-lock.json'));
  const args = hasLock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  console.log(`gatehouse: installing npm dependencies (npm ${args[0]})`);
  const r = spawnSync('npm', args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`gatehouse: 'npm ${args.join(' ')}' failed (exit ${r.status})`);
    process.exit(1);
  }
  // npm install may have rewritten the lock file: stamp what is there now.
  writeFileSync(STAMP, manifestDigest());
}

/** Runs a binary from node_modules/.bin, exiting with its status on failure. */
export function runBin(name, args, what) {
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', name), args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`gatehouse: ${what} failed`);
    process.exit(r.status ?? 1);
  }
}
