// Runs gatectl as a child process the way a person would: argv, an environment and a working dir.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GATECTL = fileURLToPath(new URL('../../bin/gatectl.js', import.meta.url));

export interface RunResult {
  /** The exit code, or null when the child was killed by a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface AfterHook {
  after(fn: () => Promise<void>): void;
}

export function runGatectl(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Only what the test passes decides the data dir or config, never the developer's environment.
    const { GATEHOUSE_DATA_DIR: _ignored, GATEHOUSE_CONFIG: _alsoIgnored, ...inherited } = process.env;
    const env = { ...inherited, ...options.env };
    const child = spawn(process.execPath, [GATECTL, ...args], { env, cwd: options.cwd ?? process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** gatectl with `--data-dir dataDir`. */
export function gatectlAt(dataDir: string, args: readonly string[]): Promise<RunResult> {
  return runGatectl(['--data-dir', dataDir, ...args]);
}

/** A fresh temporary directory, removed after the test. */
export async function makeTempDir(t: AfterHook, prefix = 'gh-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh data dir removed after the test, and a gatectl bound to it with --data-dir. */
export async function createDataDir(t: AfterHook): Promise<{
  dir: string;
  gatectl: (...args: string[]) => Promise<RunResult>;
}> {
  const dir = await makeTempDir(t);
  return { dir, gatectl: (...args) => runGatectl(['--data-dir', join(dir, 'data'), ...args]) };
}
