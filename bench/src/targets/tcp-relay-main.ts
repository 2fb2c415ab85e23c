// The floor: a plain TCP relay with no TLS termination, run as its own process so its memory
// can be read. The client's TLS session passes through end to end.
//   node tcp-relay-main.js <upstream-host> <upstream-port>   → prints {"port":N} when listening
import { connect, createServer } from 'node:net';

const [host = '127.0.0.1', port = '3306'] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = connect({ host, port: Number(port), noDelay: true });
  client.setNoDelay(true);
  // pipe() honours write() returning false and resumes on 'drain', both ways.
  client.pipe(upstream);
  upstream.pipe(client);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
