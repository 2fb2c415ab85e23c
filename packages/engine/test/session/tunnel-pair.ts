// Two TunnelConnections joined in memory: the proxy end opens streams, the engine end serves
// them. Messages cross on the next turn of the event loop, as they would over a socket.
import { type IncomingStream, TunnelConnection, type TunnelTransport } from '@gatehouse/tunnel';
import pino from 'pino';

export interface TunnelPair {
  readonly proxy: TunnelConnection;
  readonly engine: TunnelConnection;
  close(): void;
}

export function createTunnelPair(onStream: (incoming: IncomingStream) => void, streamWindow?: number): TunnelPair {
  const log = pino({ level: 'silent' });
  let proxy: TunnelConnection | undefined;
  let engine: TunnelConnection | undefined;
  const transport = (peer: () => TunnelConnection | undefined): TunnelTransport => ({
    send(message, done) {
      setImmediate(() => {
        peer()?.receive(message);
        done();
      });
    },
    close() {
      setImmediate(() => peer()?.transportClosed());
    },
    terminate() {
      setImmediate(() => peer()?.transportClosed());
    },
  });
  const common = { log, ...(streamWindow ? { streamWindow } : {}) };
  proxy = new TunnelConnection({ ...common, transport: transport(() => engine), role: 'proxy' });
  engine = new TunnelConnection({ ...common, transport: transport(() => proxy), role: 'engine', onStream });
  return {
    proxy,
    engine,
    close() {
      proxy?.close();
      engine?.close();
    },
  };
}
