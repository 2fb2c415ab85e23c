// Builds the peer-credentials addon (native/) with node-gyp as part of `npm install`. It never
// fails the install: without a compiler the proxy still serves its unix sockets, only without
// the clients' uid/gid/pid (it logs that once, and roles that need them deny with an ERR).
// Headers come from the Node installation when it ships them (Debian's nodejs does), so no
// download is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);
const nativeDir = join(here, '..', 'native');
if (process.platform !== 'linux') {
  console.log('gatehouse: unix peer credentials are read on Linux only; skipping the native addon');
  process.exit(0);
}

function findNodeGyp() {
  // npm bundles node-gyp; it is found next to the npm that runs this script.
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package; the bundled one is enough
  }
  return candidates.find((c) => existsSync(c));
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) {
  console.warn('gatehouse: node-gyp not found; the unix peer-credentials addon is not built');
  process.exit(0);
}
const prefix = dirname(dirname(process.execPath));
const args = [nodeGyp, 'rebuild', '--directory', nativeDir];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  console.warn(
    `gatehouse: could not build the unix peer-credentials addon (node-gyp exit ${r.status}); unix sockets work without peer credentials`,
  );
  if (r.stderr) console.warn(r.stderr.split('\n').slice(-8).join('\n'));
  process.exit(0);
}
console.log('gatehouse: built the unix peer-credentials addon');
