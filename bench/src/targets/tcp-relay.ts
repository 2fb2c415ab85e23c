// Starts tcp-relay-main.js as a child process and points clients at it.
import { createRelayTarget, startRelayChild } from './relay-child.js';
import type { ClientTls, Target } from './target.js';

export function createTcpRelayTarget(tls: () => ClientTls): Target {
  return createRelayTarget(
    'tcp-relay',
    async () => ({ trustPems: [] }),
    async (db) => ({
      relay: await startRelayChild('tcp-relay-main.js', [db.host, String(db.port)], 'TCP relay'),
      tls: tls(),
    }),
  );
}
