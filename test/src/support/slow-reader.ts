// The mariadb CLI as a slow client: with --quick it uses mysql_use_result, so it reads its socket
// only as fast as it can write each row to stdout, and this side decides when stdout is read.
// Pausing the pipe therefore stops the CLI, and with it the client's TCP socket.
import { spawn } from 'node:child_process';
import { mariadbCommand } from './clients.js';
import type { Cluster, UserCerts } from './cluster.js';

export interface SlowReaderResult {
  readonly code: number | null;
  readonly stderr: string;
  /** Bytes the CLI wrote to stdout. */
  readonly bytes: number;
  /** Newlines among them (one per row in --batch mode). */
  readonly lines: number;
}

export interface SlowReader {
  /** Bytes read from the CLI's stdout so far. */
  readonly bytesRead: number;
  /** Reads until at least `bytes` arrived (or the CLI exited), then stops reading. */
  readUntil(bytes: number): Promise<void>;
  /** Reads everything that is left. */
  drain(): void;
  readonly done: Promise<SlowReaderResult>;
  kill(): void;
}

export function startSlowReader(cluster: Cluster, certs: UserCerts, sql: string): SlowReader {
  const [cli, args] = mariadbCommand(cluster, certs, ['--quick', '-e', sql]);
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let lines = 0;
  let stderr = '';
  let target = 0;
  let reached: (() => void) | undefined;
  const stdout = child.stdout;
  stdout.pause();
  stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (bytes >= target && reached !== undefined) {
      stdout.pause();
      reached();
      reached = undefined;
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<SlowReaderResult>((resolve) => {
    child.on('close', (code) => {
      reached?.();
      resolve({ code, stderr, bytes, lines });
    });
  });
  return {
    get bytesRead() {
      return bytes;
    },
    readUntil(n) {
      target = n;
      return new Promise<void>((resolve) => {
        if (bytes >= n || child.exitCode !== null) return resolve();
        reached = resolve;
        stdout.resume();
      });
    },
    drain() {
      target = Number.POSITIVE_INFINITY;
      reached = undefined;
      stdout.resume();
    },
    done,
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
