// Starts tls-relay-main.js as a child process and points clients at it. The relay's server
// certificate is signed by the bench database's CA, the one the direct client already trusts,
// so every client uses the direct target's TLS files unchanged; towards MariaDB the relay
// presents the direct client's own certificate (CN=bench).
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuedFiles } from '@gatehouse/testing';
import { stopChild } from '../child.js';
import { startRelayChild } from './relay-child.js';
import type { ClientTls, Endpoint, Target } from './target.js';
import type { TlsRelayFiles } from './tls-relay-main.js';

/**
 * `tls`: the direct client's files; `issueServerCert`: a server certificate for 127.0.0.1
 * signed by the CA in `tls.caFile`.
 */
export function createTlsRelayTarget(tls: () => ClientTls, issueServerCert: () => Promise<IssuedFiles>): Target {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  return {
    name: 'tls-relay',
    async prepare(ctx) {
      dir = ctx.dir;
      return { trustPems: [] };
    },
    async start(db) {
      if (dir === undefined) throw new Error('tls-relay was not prepared');
      const client = tls();
      const server = await issueServerCert();
      const files: TlsRelayFiles = {
        upstreamHost: db.host,
        upstreamPort: db.port,
        serverCertFile: server.certFile,
        serverKeyFile: server.keyFile,
        clientCaFile: client.caFile,
        upstreamCaFile: db.serverCaFile,
        upstreamCertFile: client.certFile,
        upstreamKeyFile: client.keyFile,
      };
      const configFile = join(dir, 'tls-relay.json');
      writeFileSync(configFile, JSON.stringify(files));
      const relay = await startRelayChild('tls-relay-main.js', [configFile], 'TLS relay');
      child = relay.child;
      const endpoint: Endpoint = {
        host: '127.0.0.1',
        port: relay.port,
        user: db.dbUser,
        database: db.database,
        tls: client,
      };
      return endpoint;
    },
    async stop() {
      if (child) await stopChild(child);
    },
    pids: () => (child?.pid !== undefined ? [child.pid] : []),
  };
}
