// mysql2 sessions over TLS with the target's client certificate: the idle-memory and
// connection-rate measurements, and the readiness probe for gateways.
import { readFileSync } from 'node:fs';
import { type Connection, createConnection } from 'mysql2/promise';
import type { Endpoint } from './targets/target.js';

export interface SessionFactory {
  open(): Promise<Connection>;
}

const CONNECT_TIMEOUT_MS = 30_000;

export interface SessionFactoryOptions {
  /**
   * Offer each new connection the TLS session of an earlier one, as a mysql2 pool does: one
   * `ssl` object for every connection (mysql2 keeps sessions per ssl object).
   */
  readonly resumeTls?: boolean;
}

export function createSessionFactory(endpoint: Endpoint, options: SessionFactoryOptions = {}): SessionFactory {
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
        // By default a fresh object each time: mysql2 caches TLS sessions per ssl object and
        // would resume them, skipping the full handshake this is meant to measure (libmariadb,
        // as in sysbench and the mariadb CLI, does not resume either).
        ssl: options.resumeTls === true ? ssl : { ...ssl },
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
