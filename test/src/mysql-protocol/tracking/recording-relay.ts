// A TCP relay between a real client and the real server that keeps every byte in both
// directions, and notes the server stream's length whenever a client chunk arrives. A client
// that waits for each reply before its next command sends that command only once the previous
// reply was fully delivered, so those notes are the ground truth for where replies end.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ClientChunk {
  readonly bytes: Buffer;
  /** Offset of the chunk in the client stream. */
  readonly clientOffset: number;
  /** Length of the server stream when the chunk arrived. */
  readonly serverOffset: number;
}

export interface Recording {
  readonly client: ClientChunk[];
  readonly server: Buffer[];
  serverLength: number;
  clientLength: number;
  /** Stream offsets where the command phase began (set by markCommandPhase). */
  commandPhase: { client: number; server: number } | undefined;
  /** Client offsets where each named step of a corpus began. */
  readonly steps: { name: string; clientOffset: number }[];
  closed: Promise<void>;
}

export interface RecordingRelay {
  readonly port: number;
  /** The recording of the next (or current) connection. */
  readonly recordings: Recording[];
  close(): Promise<void>;
}

export async function startRecordingRelay(host: string, port: number): Promise<RecordingRelay> {
  const recordings: Recording[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const rec: Recording = {
      client: [],
      server: [],
      serverLength: 0,
      clientLength: 0,
      commandPhase: undefined,
      steps: [],
      closed: Promise.resolve(),
    };
    recordings.push(rec);
    const up = connect({ host, port });
    sockets.add(down).add(up);
    rec.closed = new Promise((resolve) => {
      let open = 2;
      const done = () => {
        if (--open === 0) resolve();
      };
      down.once('close', done);
      up.once('close', done);
    });
    down.on('data', (chunk: Buffer) => {
      rec.client.push({ bytes: chunk, clientOffset: rec.clientLength, serverOffset: rec.serverLength });
      rec.clientLength += chunk.length;
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => {
      rec.server.push(chunk);
      rec.serverLength += chunk.length;
      down.write(chunk);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no TCP address');
  return {
    port: address.port,
    recordings,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Marks the end of the connection phase: every byte after this is command-phase traffic. */
export function markCommandPhase(rec: Recording): void {
  rec.commandPhase = { client: rec.clientLength, server: rec.serverLength };
}

export function markStep(rec: Recording, name: string): void {
  rec.steps.push({ name, clientOffset: rec.clientLength });
}
