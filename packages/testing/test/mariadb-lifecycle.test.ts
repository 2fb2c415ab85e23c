// The harness must never leave a mariadbd behind: not when the owning process is killed, not
// when it is interrupted, and a failed start must say why.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { startMariaDb, waitFor } from '../src/index.js';

const harnessUrl = new URL('../src/index.js', import.meta.url).href;

// The owners' script dirs, removed when this file's tests are done.
const ownerDirs: string[] = [];
after(() => {
  for (const dir of ownerDirs) rmSync(dir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a process that owns a private MariaDB and reports the server's pid and files. */
async function startOwner(): Promise<{ owner: ChildProcess; serverPid: number; socketPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-owner-'));
  ownerDirs.push(dir);
  const script = join(dir, 'owner.mjs');
  writeFileSync(
    script,
    `import { startMariaDb } from ${JSON.stringify(harnessUrl)};
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
const db = await startMariaDb({ shared: false });
const pid = readFileSync(join(dirname(db.socketPath), 'mysqld.pid'), 'utf8').trim();
console.log(JSON.stringify({ pid: Number(pid), socketPath: db.socketPath }));
setInterval(() => {}, 1000);
`,
  );
  const owner = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: owner.stdout! }).once('line', resolve);
    owner.once('exit', (code) => reject(new Error(`owner exited early with ${code}`)));
  });
  const { pid, socketPath } = JSON.parse(line) as { pid: number; socketPath: string };
  return { owner, serverPid: pid, socketPath };
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
  test(`no mariadbd survives its owner being sent ${signal}`, async () => {
    const { owner, serverPid, socketPath } = await startOwner();
    assert.ok(isAlive(serverPid), 'the server is running before the signal');
    owner.kill(signal);
    await waitFor(`mariadbd ${serverPid} to exit`, () => !isAlive(serverPid));
    await waitFor('the server files to be removed', () => !existsSync(socketPath));
  });
}

test('a taken port fails with a message that names the cause and the error log', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  await assert.rejects(startMariaDb({ shared: false, args: [`--port=${port}`] }), (err: Error) => {
    assert.match(err.message, new RegExp(`port ${port} is already taken`));
    assert.match(err.message, /Its error log:/);
    return true;
  });
});

test('a bad server option fails with the server error log, not a timeout', async () => {
  await assert.rejects(startMariaDb({ shared: false, args: ['--no-such-option-gatehouse'] }), (err: Error) => {
    assert.match(err.message, /mariadbd exited during startup/);
    assert.match(err.message, /no-such-option-gatehouse/);
    return true;
  });
});
