// Queries run on the pool, or, inside `transaction()`, on that transaction's client: callers
// write the same code either way, and a store operation that holds the store lock sees its own
// writes and commits them together.
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { type Pool, type PoolClient, postgresError } from './connect.js';

export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * Runs `fn` in one transaction, holding the advisory lock `lockKey` when one is given
   * (reentrant: a nested call joins the outer transaction). Commits when fn resolves, rolls
   * back when it throws.
   */
  transaction<T>(lockKey: number | undefined, fn: () => Promise<T>): Promise<T>;
}

export function createSql(pool: Pool, what: string): Sql {
  const current = new AsyncLocalStorage<PoolClient>();
  return {
    async query(text, values) {
      try {
        return await (current.getStore() ?? pool).query(text, values);
      } catch (err) {
        throw postgresError(what, err);
      }
    },
    async transaction(lockKey, fn) {
      if (current.getStore()) return fn();
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw postgresError('connect', err);
      }
      // A connection lost between two queries of the transaction is emitted as an 'error' on the
      // client, which would crash the process without a listener; the next query fails anyway.
      const ignore = (): void => undefined;
      client.on('error', ignore);
      let failed = false;
      try {
        await client.query('BEGIN');
        if (lockKey !== undefined) await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
        const result = await current.run(client, fn);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        failed = true;
        await client.query('ROLLBACK').catch(() => undefined);
        throw postgresError(what, err);
      } finally {
        client.off('error', ignore);
        // After a failure the connection may be dead: drop it rather than hand it out again.
        client.release(failed);
      }
    },
  };
}
