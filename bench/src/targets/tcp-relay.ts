// Starts tcp-relay-main.js as a child process and points clients at it.
import type { ChildProcess } from 'node:child_process';
import { stopChild } from '../child.js';
import { startRelayChild } from './relay-child.js';
import type { ClientTls, Endpoint, Target } from './target.js';

export function createTcpRelayTarget(tls: () => ClientTls): Target {
  let child: ChildProcess | undefined;
  return {
    name: 'tcp-relay',
    prepare: async () => ({ trustPems: [] }),
    async start(db) {
      const relay = await startRelayChild('tcp-relay-main.js', [db.host, String(db.port)], 'TCP relay');
      child = relay.child;
      const endpoint: Endpoint = {
        host: '127.0.0.1',
        port: relay.port,
        user: db.dbUser,
        database: db.database,
        tls: tls(),
      };
      return endpoint;
    },
    async stop() {
      if (child) await stopChild(child);
    },
    pids: () => (child?.pid !== undefined ? [child.pid] : []),
  };
}
