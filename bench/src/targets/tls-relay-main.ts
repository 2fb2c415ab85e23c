// The floor for a TLS-terminating gateway, run as its own process so its CPU and memory can be
// read: tls-relay-server.ts, listening on 127.0.0.1.
//   node tls-relay-main.js <config.json>   → prints {"port":N} when listening
// config.json holds the upstream address and the paths of the PEM files (TlsRelayFiles).
import { readFileSync } from 'node:fs';
import { createTlsRelayServer } from './tls-relay-server.js';

/** What tls-relay.ts writes for this process: where MariaDB is and where each PEM file is. */
export interface TlsRelayFiles {
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCaFile: string;
  readonly upstreamCaFile: string;
  readonly upstreamCertFile: string;
  readonly upstreamKeyFile: string;
}

const [configFile] = process.argv.slice(2);
if (configFile === undefined) {
  process.stderr.write('usage: node tls-relay-main.js <config.json>\n');
  process.exit(2);
}
const files = JSON.parse(readFileSync(configFile, 'utf8')) as TlsRelayFiles;
const pem = (file: string): string => readFileSync(file, 'utf8');
const server = createTlsRelayServer({
  upstreamHost: files.upstreamHost,
  upstreamPort: files.upstreamPort,
  serverCert: pem(files.serverCertFile),
  serverKey: pem(files.serverKeyFile),
  clientCa: pem(files.clientCaFile),
  upstreamCa: pem(files.upstreamCaFile),
  upstreamCert: pem(files.upstreamCertFile),
  upstreamKey: pem(files.upstreamKeyFile),
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
