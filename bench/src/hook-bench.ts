// Micro-benchmark: one onCommand round trip to the hooks' worker thread, as a session makes it
// per command (the session's context and the command copied over, the merged outcome back),
// with a pass-through hook. Reports wall time and the process's CPU (both threads) per call,
// one caller at a time and 16 at once. Run: npm run bench:hooks -w bench
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHookRunner } from '@gatehouse/engine';
import pino from 'pino';

const CALLS = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-hook-bench-'));
const file = join(dir, 'pass-through.mjs');
writeFileSync(file, 'export function onCommand(ctx, command) { return undefined; }\n');

// What commandSessionContext builds for a mariadb CLI session.
const ctx = Object.freeze({
  sessionId: '5f0e8a56-3c1b-4c4e-9a7e-0d1f2a3b4c5d',
  dbService: 'shop',
  user: 'alice',
  roles: ['dev'],
  dbUser: 'app',
  dbName: 'shop',
  clientAddress: { host: '127.0.0.1', port: 50514 },
  connectionAttributes: {
    _client_name: 'libmariadb',
    _client_version: '3.3.8',
    _os: 'Linux',
    _pid: '12345',
    _platform: 'x86_64',
    _server_host: '127.0.0.1',
    program_name: 'mysql',
  },
  backend: '127.0.0.1:3306',
});
const command = {
  kind: 'query',
  text: 'SELECT c FROM sbtest1 WHERE id=5000',
  truncated: false,
  statementId: 0,
  schema: 'shop',
};

const runner = await createHookRunner({ files: [file], timeoutMs: 5000, log: pino({ level: 'silent' }) });
try {
  // Warm up the JIT on both threads.
  for (let i = 0; i < 2000; i++) await runner.run('onCommand', ctx, command);
  for (const callers of [1, 16]) {
    let started = 0;
    const wall = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (started < CALLS) {
          started++;
          await runner.run('onCommand', ctx, command);
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    const perCall = (us: number): string => (us / CALLS).toFixed(1);
    console.log(
      `${callers} caller(s): ${perCall((performance.now() - wall) * 1000)} µs wall, ${perCall(used.user + used.system)} µs CPU per onCommand call (${CALLS} calls)`,
    );
  }
} finally {
  await runner.close();
  rmSync(dir, { recursive: true, force: true });
}
