// Starts tls-relay-main.js as a child process and points clients at it. The relay's server
// certificate is signed by the bench database's CA, the one the direct client already trusts,
// so every client uses the direct target's TLS files unchanged; towards MariaDB the relay
// presents the direct client's own certificate (CN=bench).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuedFiles } from '@gatehouse/testing';
import { createRelayTarget, startRelayChild } from './relay-child.js';
import type { ClientTls, Target } from './target.js';
import type { TlsRelayFiles } from './tls-relay-main.js';

/**
 * `tls`: the direct client's files; `issueServerCert`: a server certificate for 127.0.0.1
 * signed by the CA in `tls.caFile`.
 */
export function createTlsRelayTarget(tls: () => ClientTls, issueServerCert: () => Promise<IssuedFiles>): Target {
  let dir: string | undefined;
  return createRelayTarget(
    'tls-relay',
    async (ctx) => {
      dir = ctx.dir;
      return { trustPems: [] };
    },
    async (db) => {
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
      return { relay: await startRelayChild('tls-relay-main.js', [configFile], 'TLS relay'), tls: client };
    },
  );
}
