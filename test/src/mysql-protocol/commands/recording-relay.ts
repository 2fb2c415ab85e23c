// A TCP relay that records both directions in arrival order, to capture what a real client and
// a real server put on the wire.

import { EventEmitter, once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RecordedChunk {
  readonly fromClient: boolean;
  readonly bytes: Buffer;
}

export interface RecordingRelay {
  readonly port: number;
  readonly chunks: RecordedChunk[];
  /** Resolves once every client that connected has closed its side (so its last bytes are recorded). */
  clientsClosed(): Promise<void>;
  close(): Promise<void>;
}

export async function startRecordingRelay(host: string, port: number): Promise<RecordingRelay> {
  const chunks: RecordedChunk[] = [];
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const idle = new EventEmitter();
  const server: Server = createServer((client) => {
    clients.add(client);
    client.on('close', () => {
      clients.delete(client);
      if (clients.size === 0) idle.emit('idle');
    });
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (b) => {
      chunks.push({ fromClient: true, bytes: Buffer.from(b) });
      upstream.write(b);
    });
    upstream.on('data', (b) => {
      chunks.push({ fromClient: false, bytes: Buffer.from(b) });
      client.write(b);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no TCP address');
  return {
    port: address.port,
    chunks,
    clientsClosed: async () => {
      if (clients.size > 0) await once(idle, 'idle');
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
