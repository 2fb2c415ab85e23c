// Running the programs the bench drives (sysbench, mariadb, gatectl, gatehouse) with a bound on
// how long each may take.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { basename } from 'node:path';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** A file to feed to stdin. */
  readonly stdinFile?: string;
  /** Discard stdout instead of collecting it (bulk reads). */
  readonly discardStdout?: boolean;
}

const MAX_COLLECTED = 4 * 1024 * 1024;

/** Runs a program to completion; the timing covers spawn to exit. Never throws on exit codes. */
export function runProgram(program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdinFd = options.stdinFile === undefined ? undefined : openSync(options.stdinFile, 'r');
    const started = process.hrtime.bigint();
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: [stdinFd ?? 'ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
      });
    } finally {
      if (stdinFd !== undefined) closeSync(stdinFd);
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < MAX_COLLECTED) stdout += s;
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < MAX_COLLECTED) stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${program}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, signal, stdout, stderr, ms });
    });
  });
}

/** Like runProgram, but a non-zero exit is an error that carries the program's stderr. */
export async function runChecked(program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const r = await runProgram(program, args, options);
  if (r.code !== 0) {
    const why = r.signal ? `killed by ${r.signal} (time-out ${options.timeoutMs} ms?)` : `exit ${r.code}`;
    // One line, so it fits a results table's footnote; the cause is in the last lines.
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${basename(program)} ${args[0] ?? ''} failed (${why}): ${tail}`);
  }
  return r;
}

/** Stops a long-running child and waits for it, escalating to SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Polls `check` until it returns true, at most `timeoutMs`; throws `what` on time-out. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port (a started server is ready). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
