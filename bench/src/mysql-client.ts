// mysql2 sessions over TLS with the target's client certificate: the idle-memory and
// connection-rate measurements, and the readiness probe for gateways.
import { readFileSync } from 'node:fs';
import { type Connection, createConnection } from 'mysql2/promise';
import type { Endpoint } from './targets/target.js';

export interface SessionFactory {
  open(): Promise<Connection>;
}

const CONNECT_TIMEOUT_MS = 30_000;

export function createSessionFactory(endpoint: Endpoint): SessionFactory {
  // Read the files once: the connection-rate loop must measure handshakes, not file reads.
  const ssl = {
    ca: readFileSync(endpoint.tls.caFile, 'utf8'),
    cert: readFileSync(endpoint.tls.certFile, 'utf8'),
    key: readFileSync(endpoint.tls.keyFile, 'utf8'),
    minVersion: 'TLSv1.2' as const,
  };
  return {
    open: () =>
      createConnection({
        host: endpoint.host,
        port: endpoint.port,
        user: endpoint.user,
        database: endpoint.database,
        ssl,
        connectTimeout: CONNECT_TIMEOUT_MS,
      }),
  };
}

/** One session: connect, SELECT 1, quit. True when it worked. */
export async function probeSession(factory: SessionFactory): Promise<boolean> {
  try {
    const conn = await factory.open();
    try {
      await conn.query('SELECT 1');
    } finally {
      await conn.end();
    }
    return true;
  } catch {
    return false;
  }
}
