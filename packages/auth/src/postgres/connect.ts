// One pg.Pool per process and backend, from `storage.url` and `storage.tls`. Every failure to
// reach PostgreSQL becomes GH_ERR_STORE_IO with the server's own words, never a raw pg error.
import { readFileSync } from 'node:fs';
import { GatehouseError } from '@gatehouse/common';
import pg from 'pg';

export interface PostgresTlsOptions {
  /** disable: plain TCP; require: TLS without checking the server; verify-ca / verify-full: checked. */
  readonly mode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  readonly ca_file?: string | undefined;
  readonly cert_file?: string | undefined;
  readonly key_file?: string | undefined;
}

export interface PostgresOptions {
  /** postgres://user[:password]@host:port/database */
  readonly url: string;
  readonly tls?: PostgresTlsOptions | undefined;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function clientConfig(options: PostgresOptions): pg.ClientConfig {
  const tls = options.tls;
  const config: pg.ClientConfig = { connectionString: options.url, application_name: 'gatehouse' };
  if (tls === undefined || tls.mode === 'disable') return config;
  config.ssl = {
    rejectUnauthorized: tls.mode !== 'require',
    ...(tls.ca_file ? { ca: readFileSync(tls.ca_file, 'utf8') } : {}),
    ...(tls.cert_file ? { cert: readFileSync(tls.cert_file, 'utf8') } : {}),
    ...(tls.key_file ? { key: readFileSync(tls.key_file, 'utf8') } : {}),
    // verify-ca checks the chain but not the name, as libpq's sslmode=verify-ca does.
    ...(tls.mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
  return config;
}

/** Where a URL points, without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparsable url)';
  }
}

export function postgresError(action: string, err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  return new GatehouseError('GH_ERR_STORE_IO', `postgres: cannot ${action}: ${(err as Error).message}`, { cause: err });
}

export function createPool(options: PostgresOptions): Pool {
  const pool = new pg.Pool({
    ...clientConfig(options),
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // A gatectl run ends when its work is done, not 30 s later when idle connections time out.
    allowExitOnIdle: true,
  });
  // An idle client that loses its server emits here; the pool drops it and the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** pg's SQLSTATE on a server error, e.g. 23505 unique_violation. */
export function sqlStateOf(err: unknown): string | undefined {
  return (err as { code?: unknown }).code === undefined ? undefined : String((err as { code: unknown }).code);
}
