// The baseline: clients talk TLS straight to MariaDB with a client certificate.
import type { BenchDatabase, ClientTls, Endpoint, Target } from './target.js';

export function createDirectTarget(tls: () => ClientTls): Target {
  let db: BenchDatabase | undefined;
  return {
    name: 'direct',
    prepare: async () => ({ trustPems: [] }),
    async start(info) {
      db = info;
      const endpoint: Endpoint = {
        host: info.host,
        port: info.port,
        user: info.dbUser,
        database: info.database,
        tls: tls(),
      };
      return endpoint;
    },
    stop: async () => {},
    // MariaDB's own RSS: the reference for "memory per idle session".
    pids: () => (db ? [db.pid] : []),
  };
}
