// Runs gatectl and gatehouse the way a person does: as child processes of the built bins.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const binDir = fileURLToPath(new URL('../../../../packages/cli/bin/', import.meta.url));
export const GATECTL = `${binDir}gatectl.js`;
export const GATEHOUSE = `${binDir}gatehouse.js`;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `gatectl --data-dir DIR …args`; never rejects, the exit code is in the result. */
export function gatectl(dataDir: string, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [GATECTL, '--data-dir', dataDir, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Like gatectl(), but fails the test with the CLI's own error when the command does. */
export async function gatectlOk(dataDir: string, args: readonly string[]): Promise<string> {
  const r = await gatectl(dataDir, args);
  if (r.code !== 0) throw new Error(`gatectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Starts `gatehouse start --config FILE` with its output collected for failure messages. */
/** `wrapper`: a program and its arguments that start gatehouse in turn (systemd-socket-activate). */
export function startGatehouse(
  configFile: string,
  wrapper: readonly string[] = [],
): { child: ChildProcess; output: () => string } {
  const command = [...wrapper, process.execPath, GATEHOUSE, 'start', '--config', configFile];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

/** The JSON lines of a gatehouse's output whose `msg` is `msg`, parsed. */
export function logLinesOf(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

/** SIGTERM, and wait for the exit; nothing when the child has exited already. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}
