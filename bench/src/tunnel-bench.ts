// Tunnel figures for docs/architecture.md: throughput of one and of 16 streams through the
// tunnel against raw TLS sockets on loopback, and memory per idle stream against memory per
// extra mTLS WebSocket. Run: npm run bench:tunnel -w bench  (MiB per stream: BENCH_MIB, default 256)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import { createLogger } from '@gatehouse/common';
import { createTunnelClient } from '@gatehouse/engine';
import { createTunnelWebServer, TunnelServer } from '@gatehouse/proxy';
import { createTestCa } from '@gatehouse/testing';
import type { StreamOpenHeader, TunnelStream } from '@gatehouse/tunnel';
import { WebSocket } from 'ws';

const MIB = 1024 * 1024;
const perStream = Number(process.env.BENCH_MIB ?? 256) * MIB;
const log = createLogger({ level: 'silent' });
const chunk = Buffer.alloc(64 * 1024, 7);

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
const ca = await createTestCa(dir, 'Bench Host CA');
const read = (f: string) => readFile(f, 'utf8');
const proxyFiles = await ca.issue({ name: 'proxy', subject: '/CN=proxy', sans: ['IP:127.0.0.1'], usage: 'server' });
const engineFiles = await ca.issue({ name: 'engine', subject: '/CN=engine-1', usage: 'client' });
const proxyCert = await read(proxyFiles.certFile);
const proxyKey = await read(proxyFiles.keyFile);
const engineCert = await read(engineFiles.certFile);
const engineKey = await read(engineFiles.keyFile);

/** Writes `bytes` into a writable honouring backpressure; fresh buffers are not needed for a sink. */
function produce(stream: NodeJS.WritableStream, bytes: number): void {
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      left -= chunk.length;
      if (!stream.write(chunk)) return void stream.once('drain', pump);
    }
    stream.end();
  };
  pump();
}

function drain(stream: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    stream.on('data', (c: Buffer) => (n += c.length));
    stream.on('end', () => resolve(n));
    stream.on('error', reject);
  });
}

async function rawTls(streams: number): Promise<number> {
  const server = createServer({ cert: proxyCert, key: proxyKey, ca: ca.caPem, requestCert: true }, (socket) =>
    produce(socket, perStream),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const start = process.hrtime.bigint();
  const totals = await Promise.all(
    Array.from({ length: streams }, () => {
      const socket = connect({ host: '127.0.0.1', port, cert: engineCert, key: engineKey, ca: ca.caPem });
      return drain(socket);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  server.close();
  return totals.reduce((a, b) => a + b, 0) / MIB / seconds;
}

const tunnel = new TunnelServer({ hostCaPems: [ca.caPem], log });
const app = createTunnelWebServer({ cert: proxyCert, key: proxyKey, clientCaPems: [ca.caPem], tunnel, log });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as AddressInfo).port;
let mode: 'bulk' | 'idle' = 'bulk';
const engineIdle: TunnelStream[] = [];
const client = createTunnelClient({
  url: `wss://127.0.0.1:${port}/v1/tunnel`,
  getCredentials: () => ({ cert: engineCert, key: engineKey, ca: ca.caPem }),
  engineId: 'engine-1',
  version: 'bench',
  databases: [
    { name: 'db', labels: {}, health: 'healthy', serverVersion: 'x', capabilities: 0, mariadbCapabilities: 0 },
  ],
  onStream: (incoming) => {
    const stream = incoming.accept();
    stream.on('error', () => {}); // idle streams end with a reset from the proxy
    if (mode === 'bulk') produce(stream, perStream);
    else engineIdle.push(stream);
  },
  log,
});
client.start();
while (tunnel.registry.size === 0) await new Promise((r) => setTimeout(r, 20));

let session = 0;
const header = (): StreamOpenHeader => ({
  sessionId: `b-${++session}`,
  clientAddress: { host: '127.0.0.1', port: 1 },
  route: { dbService: 'db', dbUser: 'u', dbName: 'd' },
  capabilities: 0,
  mariadbCapabilities: 0,
  connectionAttributes: {},
  clientCertChain: [],
});

async function throughTunnel(streams: number): Promise<number> {
  const start = process.hrtime.bigint();
  const totals = await Promise.all(
    Array.from({ length: streams }, async () => {
      const { stream } = await tunnel.openSession(header());
      stream.end();
      return drain(stream);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return totals.reduce((a, b) => a + b, 0) / MIB / seconds;
}

function settle(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

const idleCount = Number(process.env.BENCH_IDLE ?? 2000);
async function idleStreams(): Promise<{ heap: number; rss: number }> {
  mode = 'idle';
  const before = settle();
  const proxySide: TunnelStream[] = [];
  for (let i = 0; i < idleCount; i += 100) {
    proxySide.push(
      ...(await Promise.all(Array.from({ length: 100 }, async () => (await tunnel.openSession(header())).stream))),
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  const after = settle();
  if (engineIdle.length !== idleCount) throw new Error(`engine holds ${engineIdle.length} streams`);
  for (const s of proxySide) s.destroy();
  return { heap: (after.heap - before.heap) / idleCount, rss: (after.rss - before.rss) / idleCount };
}

const extraSockets = Number(process.env.BENCH_SOCKETS ?? 200);
async function idleWebSockets(): Promise<{ heap: number; rss: number }> {
  // The alternative design: one mTLS WebSocket per session (both ends live in this process).
  const before = settle();
  const sockets = await Promise.all(
    Array.from({ length: extraSockets }, () => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/v1/tunnel`, {
        cert: engineCert,
        key: engineKey,
        ca: ca.caPem,
        perMessageDeflate: false,
      });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.on('open', () => resolve(ws));
        ws.on('error', reject);
      });
    }),
  );
  await new Promise((r) => setTimeout(r, 200));
  const after = settle();
  for (const ws of sockets) ws.terminate();
  return { heap: (after.heap - before.heap) / extraSockets, rss: (after.rss - before.rss) / extraSockets };
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
const results = {
  rawTls1: await rawTls(1),
  tunnel1: await throughTunnel(1),
  rawTls16: await rawTls(16),
  tunnel16: await throughTunnel(16),
};
const idle = await idleStreams();
const perSocket = await idleWebSockets();

console.log(`tunnel bench: ${perStream / MIB} MiB per stream, node ${process.version}, loopback, mTLS`);
console.log(
  `  1 stream    raw TLS ${results.rawTls1.toFixed(0)} MB/s   tunnel ${results.tunnel1.toFixed(0)} MB/s   ratio ${(results.tunnel1 / results.rawTls1).toFixed(2)}`,
);
console.log(
  `  16 streams  raw TLS ${results.rawTls16.toFixed(0)} MB/s   tunnel ${results.tunnel16.toFixed(0)} MB/s   ratio ${(results.tunnel16 / results.rawTls16).toFixed(2)}`,
);
console.log(
  `  idle stream (proxy + engine, ${idleCount} streams): heap ${kib(idle.heap)}, RSS ${kib(idle.rss)} per stream`,
);
console.log(
  `  idle mTLS WebSocket (both ends, ${extraSockets} sockets): heap ${kib(perSocket.heap)}, RSS ${kib(perSocket.rss)} per socket`,
);

client.close();
await app.close();
await rm(dir, { recursive: true, force: true });
