// Starting a relay script (tcp-relay-main.js, tls-relay-main.js) as a child process and reading
// the port it listens on from its first line of output.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../child.js';
import type { BenchDatabase, ClientTls, Endpoint, Target } from './target.js';

const START_TIMEOUT_MS = 10_000;

export interface RelayChild {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Runs `script` (a file next to this one) with `args`; `what` names it in errors. */
export async function startRelayChild(script: string, args: readonly string[], what: string): Promise<RelayChild> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${what} did not start listening in time`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`the ${what} exited (${code}) before listening`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { child, port };
}

/**
 * A target that is one relay child: `launch` starts it in front of the database and says which
 * TLS files its clients use.
 */
export function createRelayTarget(
  name: 'tcp-relay' | 'tls-relay',
  prepare: Target['prepare'],
  launch: (db: BenchDatabase) => Promise<{ readonly relay: RelayChild; readonly tls: ClientTls }>,
): Target {
  let child: ChildProcess | undefined;
  return {
    name,
    prepare,
    async start(db) {
      const { relay, tls } = await launch(db);
      child = relay.child;
      const endpoint: Endpoint = { host: '127.0.0.1', port: relay.port, user: db.dbUser, database: db.database, tls };
      return endpoint;
    },
    async stop() {
      if (child) await stopChild(child);
    },
    pids: () => (child?.pid !== undefined ? [child.pid] : []),
  };
}
