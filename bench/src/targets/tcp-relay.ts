// Starts tcp-relay-main.js as a child process and points clients at it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../child.js';
import type { ClientTls, Endpoint, Target } from './target.js';

const START_TIMEOUT_MS = 10_000;

export function createTcpRelayTarget(tls: () => ClientTls): Target {
  let child: ChildProcess | undefined;
  return {
    name: 'tcp-relay',
    prepare: async () => ({ trustPems: [] }),
    async start(db) {
      const script = fileURLToPath(new URL('./tcp-relay-main.js', import.meta.url));
      const proc = spawn(process.execPath, [script, db.host, String(db.port)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child = proc;
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the TCP relay did not start listening in time')),
          START_TIMEOUT_MS,
        );
        proc.once('exit', (code) => reject(new Error(`the TCP relay exited (${code}) before listening`)));
        createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once('line', (line) => {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { port: number }).port);
        });
      });
      const endpoint: Endpoint = { host: '127.0.0.1', port, user: db.dbUser, database: db.database, tls: tls() };
      return endpoint;
    },
    async stop() {
      if (child) await stopChild(child);
    },
    pids: () => (child?.pid !== undefined ? [child.pid] : []),
  };
}
