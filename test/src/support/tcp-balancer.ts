// A small round-robin TCP balancer, the kind of L4 load balancer that sits in front of several
// proxies: it relays bytes and never looks into them (TLS ends at the proxy). A backend that
// refuses the connection is skipped for that client.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpBalancer {
  readonly port: number;
  /** How many client connections went to each backend port. */
  readonly counts: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

export async function startTcpBalancer(backendPorts: readonly number[]): Promise<TcpBalancer> {
  let next = 0;
  const counts = new Map<number, number>(backendPorts.map((p) => [p, 0]));
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    const tryBackend = (attempt: number): void => {
      if (attempt >= backendPorts.length) {
        client.destroy();
        return;
      }
      const port = backendPorts[next++ % backendPorts.length]!;
      const upstream = connect({ host: '127.0.0.1', port });
      track(upstream);
      let connected = false;
      upstream.once('error', () => {
        if (!connected) tryBackend(attempt + 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        connected = true;
        counts.set(port, (counts.get(port) ?? 0) + 1);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        // pipe() honours backpressure in both directions.
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('the balancer has no address');
  return {
    port: address.port,
    counts,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
