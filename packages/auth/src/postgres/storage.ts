// What the PostgreSQL parts of one process share: a pool, the migrated schema, the LISTEN
// connection. The state store, the CAs and the audit store each take one; whoever opened it closes it.
import type { StoreBackend } from '../store/backend.js';
import { type ChangeFeed, createChangeFeed } from './change-feed.js';
import { createPool, describeUrl, type PostgresOptions } from './connect.js';
import { migrate } from './migrations.js';
import { createPostgresBackend } from './store-backend.js';
import { createSql, type Sql } from './transactions.js';

export interface PostgresStorage {
  readonly sql: Sql;
  /** Notifications on `gh_store` (state and CA changes). */
  readonly feed: ChangeFeed;
  /** "postgres://user@host:port/db", for messages (never the password). */
  readonly where: string;
  close(): Promise<void>;
}

/** Connects, migrates the schema (refusing a newer one) and returns the shared handle. */
export async function openPostgresStorage(options: PostgresOptions): Promise<PostgresStorage> {
  const pool = createPool(options);
  try {
    await migrate(createSql(pool, 'migrate the schema'));
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const where = describeUrl(options.url);
  const feed = createChangeFeed(options, 'gh_store');
  let closing: Promise<void> | undefined;
  return {
    sql: createSql(pool, `use ${where}`),
    feed,
    where,
    close() {
      closing ??= feed.close().then(() => pool.end());
      return closing;
    },
  };
}

/** A store backend on its own storage handle: closing the backend closes the pool. */
export async function openPostgresBackend(options: PostgresOptions): Promise<StoreBackend> {
  const storage = await openPostgresStorage(options);
  return createPostgresBackend({ ...storage, close: () => storage.close() });
}
