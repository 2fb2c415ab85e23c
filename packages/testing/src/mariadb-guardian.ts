// Runs mariadbd for the test harness and guarantees it dies with its owner.
//
// The owner holds our stdin open. When the owner exits for any reason (tests done, a crash,
// Ctrl-C, SIGTERM, even SIGKILL) the pipe closes, and we kill mariadbd and remove its files.
// A server can therefore never outlive `npm test`.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

interface GuardianArgs {
  readonly program: string;
  readonly args: readonly string[];
  readonly removeDir: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as GuardianArgs;
const server = spawn(spec.program, [...spec.args], { stdio: 'ignore' });
let cleaning = false;

function cleanUpAndExit(code: number): void {
  if (cleaning) return;
  cleaning = true;
  const finish = (): void => {
    rmSync(spec.removeDir, { recursive: true, force: true });
    process.exit(code);
  };
  if (server.exitCode !== null || server.signalCode !== null) {
    finish();
    return;
  }
  server.once('exit', finish);
  server.kill('SIGKILL');
}

server.on('spawn', () => process.stdout.write(`pid ${server.pid}\n`));
server.on('error', (err) => {
  process.stdout.write(`error ${err.message}\n`);
  cleanUpAndExit(1);
});
server.on('exit', (code, signal) => {
  if (cleaning) return;
  // Leave the files: the owner reads the error log to say why, then calls stop().
  process.stdout.write(`exit ${code ?? signal}\n`);
});
process.stdin.on('end', () => cleanUpAndExit(0));
process.stdin.on('close', () => cleanUpAndExit(0));
process.stdin.on('error', () => cleanUpAndExit(0));
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => cleanUpAndExit(0));
