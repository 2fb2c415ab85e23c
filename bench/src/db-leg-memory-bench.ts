// What one idle connection costs the side that opened it, by kind of database leg: TLS over TCP
// (the default, and the only one x509 logins can use), plain TCP, and a unix-domain socket (a
// database on the engine's host). The server runs in another process, so only the client's
// side is counted, as the engine's is. Figures for docs/performance.md ("Memory per idle
// session"). Run: npm run bench:db-leg-memory -w bench  (connections: BENCH_CONNECTIONS, 1000)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Socket, connect as netConnect, createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext, createServer as tlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createTestCa } from '@gatehouse/testing';
import { readRssKiB } from './proc-stats.js';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 1000);
const KINDS = ['tls', 'tcp', 'unix'] as const;
type Kind = (typeof KINDS)[number];

/** The server: accepts, greets (as a database does first), and keeps every connection open. */
async function serve(kind: Kind, dir: string): Promise<void> {
  const held: Socket[] = [];
  const greet = (socket: Socket): void => {
    held.push(socket);
    socket.write('hello');
  };
  const server =
    kind === 'tls'
      ? tlsServer(
          { cert: await readFile(join(dir, 'server.pem')), key: await readFile(join(dir, 'server.key')) },
          greet,
        )
      : netServer(greet);
  // A socket file per server: a killed one leaves its file behind.
  const path = join(dir, `db-${process.pid}.sock`);
  if (kind === 'unix') server.listen(path, () => process.send?.(path));
  else server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
}

async function measure(kind: Kind, dir: string, caPem: string): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', kind, dir]);
  const [where] = (await once(child, 'message')) as [number | string];
  const context = createSecureContext({ ca: caPem });
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket =
        kind === 'tls'
          ? tlsConnect({ port: where as number, host: '127.0.0.1', secureContext: context })
          : kind === 'unix'
            ? netConnect(where as string)
            : netConnect(where as number, '127.0.0.1');
      socket.once('data', () => resolve(socket));
      socket.once('error', reject);
    });
  // One connection first: code, contexts and session caches are not per connection.
  const held = [await open()];
  global.gc?.();
  const before = readRssKiB(process.pid) ?? 0;
  for (let i = 0; i < connections; i++) held.push(await open());
  global.gc?.();
  const after = readRssKiB(process.pid) ?? 0;
  for (const socket of held) socket.destroy();
  child.kill();
  return (after - before) / connections;
}

/** Runs `role` of this script in a process of its own; resolves with what it sends first. */
async function inChild(args: string[]): Promise<unknown> {
  const child = fork(fileURLToPath(import.meta.url), args, { execArgv: ['--expose-gc'] });
  const [message] = await once(child, 'message');
  return message;
}

const [role, kindArg, dirArg] = process.argv.slice(2);
if (role === 'serve') {
  await serve(kindArg as Kind, dirArg as string);
} else if (role === 'client') {
  // Each measurement in a fresh process: memory freed by an earlier one would be reused here.
  process.send?.(
    await measure(kindArg as Kind, dirArg as string, await readFile(join(dirArg as string, 'ca.pem'), 'utf8')),
  );
  process.exit(0);
} else {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  try {
    const ca = await createTestCa(dir, 'Bench CA');
    await ca.issue({ name: 'server', subject: '/CN=127.0.0.1', sans: ['IP:127.0.0.1'], usage: 'server' });
    console.log(`db leg memory bench: ${connections} idle connections per kind, node ${process.version}`);
    for (const kind of KINDS) {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) samples.push((await inChild(['client', kind, dir])) as number);
      const median = [...samples].sort((a, b) => a - b)[1] as number;
      console.log(`  ${kind}: ${median.toFixed(1)} KiB RSS per connection on the connecting side (median of 3)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
