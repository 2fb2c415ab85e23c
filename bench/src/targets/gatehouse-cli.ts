// Runs the real `gatectl` and `gatehouse` binaries, as an operator would. A command that does
// not exist yet (the gateway is landing piece by piece) becomes TargetUnavailableError.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type RunResult, runProgram } from '../child.js';
import { TargetUnavailableError } from './target.js';

const require = createRequire(import.meta.url);
const CLI_DIR = dirname(require.resolve('@gatehouse/cli/package.json'));
export const GATECTL = join(CLI_DIR, 'bin', 'gatectl.js');
export const GATEHOUSE = join(CLI_DIR, 'bin', 'gatehouse.js');

const COMMAND_TIMEOUT_MS = 60_000;

/** Exit code 2 is a usage error; "unknown command" is how the CLI says a command is missing. */
function isMissingCommand(r: RunResult): boolean {
  return r.code === 2 && /unknown command/i.test(r.stderr);
}

function describe(r: RunResult): string {
  return (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
}

/**
 * `gatectl WORDS… OPTIONS… --data-dir D`: the dispatcher reads command words up to the first
 * option, so global options go after the words (they are merged into every command's options).
 */
export async function runGatectl(dataDir: string, args: readonly string[]): Promise<string> {
  const r = await runProgram(process.execPath, [GATECTL, ...args, '--data-dir', dataDir], {
    timeoutMs: COMMAND_TIMEOUT_MS,
    env: { ...process.env, GATEHOUSE_DATA_DIR: dataDir },
  });
  const firstOption = args.findIndex((a) => a.startsWith('-'));
  const command = (firstOption === -1 ? args : args.slice(0, firstOption)).slice(0, 2).join(' ');
  if (isMissingCommand(r)) throw new TargetUnavailableError(`gatectl ${command} is not available yet`);
  if (r.code !== 0) throw new Error(`gatectl ${args.join(' ')} failed (exit ${r.code}):\n${describe(r)}`);
  return r.stdout;
}

/** Fails fast, before MariaDB starts, when `gatehouse start` does not exist on this checkout. */
export async function checkGatehouseStart(): Promise<void> {
  const r = await runProgram(process.execPath, [GATEHOUSE, 'start', '--help'], { timeoutMs: COMMAND_TIMEOUT_MS });
  if (isMissingCommand(r)) {
    throw new TargetUnavailableError(
      'gatehouse start is not available yet (the gateway has not landed on this checkout); run the rest with --targets direct,tcp-relay',
    );
  }
}
