import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = (name: string): string => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));

function run(name: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin(name), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const name of ['gatehouse', 'gatectl']) {
  test(`${name} --help prints usage and exits 0`, () => {
    const r = run(name, ['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^${name} — `));
    assert.match(r.stdout, /Usage: /);
  });

  test(`${name} rejects an unknown command with exit 2 and says so`, () => {
    const r = run(name, ['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${name}: unknown command 'frobnicate'`));
  });

  test(`${name} --version prints the package version`, () => {
    const r = run(name, ['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });
}
