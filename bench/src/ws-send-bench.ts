// Sender CPU per tunnel message: ws's send() against the tunnel's whole-frame transport
// (createWebSocketTransport), over wss on loopback with the receiver in another process, one
// message per event-loop turn as FrameWriter sends them. Figures for docs/performance.md.
// Run: npm run bench:ws-send -w bench  (messages per round: BENCH_MESSAGES, default 50000)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createTestCa } from '@gatehouse/testing';
import { createWebSocketTransport, WEBSOCKET_HEADROOM } from '@gatehouse/tunnel';
import { WebSocket, WebSocketServer } from 'ws';

const messages = Number(process.env.BENCH_MESSAGES ?? 50_000);

/** The receiving side: counts messages and answers each 1-byte marker so the sender knows all arrived. */
async function serve(certFile: string, keyFile: string): Promise<void> {
  const server = createServer({ cert: await readFile(certFile), key: await readFile(keyFile) });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
  wss.on('connection', (ws) => ws.on('message', (data: Buffer) => data.length === 1 && ws.send(data)));
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

type Mode = 'ws.send' | 'whole frame';

async function measure(port: number, caPem: string): Promise<void> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/`, {
    ca: caPem,
    perMessageDeflate: false,
    generateMask: (m: Buffer) => m.fill(0),
  });
  let socket: Duplex | undefined;
  ws.on('upgrade', (response) => {
    socket = response.socket;
  });
  await once(ws, 'open');
  if (socket === undefined) throw new Error('no upgraded socket');
  const transport = createWebSocketTransport({ ws, socket, masked: true });
  const round = (mode: Mode, size: number): Promise<number> =>
    new Promise((resolve) => {
      let left = messages;
      const start = process.cpuUsage();
      const step = (): void => {
        if (left-- === 0) {
          ws.once('message', () => {
            const used = process.cpuUsage(start);
            resolve((used.user + used.system) / messages);
          });
          ws.send(Buffer.alloc(1));
          return;
        }
        if (mode === 'ws.send') {
          ws.send(Buffer.allocUnsafe(size).fill(1), () => {});
        } else {
          const buffer = Buffer.allocUnsafe(WEBSOCKET_HEADROOM + size).fill(1, WEBSOCKET_HEADROOM);
          transport.send(buffer, () => {});
        }
        setImmediate(step);
      };
      step();
    });
  console.log(
    `ws send bench: ${messages} messages per round, node ${process.version}, wss loopback, receiver in another process`,
  );
  for (const size of [150, 4000]) {
    const samples: Record<Mode, number[]> = { 'ws.send': [], 'whole frame': [] };
    for (let i = 0; i < 3; i++)
      for (const mode of ['ws.send', 'whole frame'] as const) samples[mode].push(await round(mode, size));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1] as number;
    console.log(
      `  ${size} B messages: ws.send ${median(samples['ws.send']).toFixed(2)} µs CPU/message, whole frame ${median(samples['whole frame']).toFixed(2)} µs (medians of 3)`,
    );
  }
  ws.terminate();
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as string, process.argv[4] as string);
} else {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  try {
    const ca = await createTestCa(dir, 'Bench CA');
    const files = await ca.issue({ name: 'server', subject: '/CN=127.0.0.1', sans: ['IP:127.0.0.1'], usage: 'server' });
    const child = fork(fileURLToPath(import.meta.url), ['serve', files.certFile, files.keyFile]);
    const [port] = (await once(child, 'message')) as [number];
    await measure(port, ca.caPem);
    child.kill();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
