// The state store on PostgreSQL: one table (kind, name, revision, value jsonb). Every write is one
// statement, so it is atomic on its own; compare-and-swap is `UPDATE … WHERE revision = $`, a
// create is `INSERT … ON CONFLICT DO NOTHING`, a token is redeemed with `DELETE … RETURNING`, and
// multi-object operations run in one transaction under an advisory lock.
import { GatehouseError } from '@gatehouse/common';
import {
  STORE_KINDS,
  type StoreBackend,
  type StoredRecord,
  type StoreKind,
  type StoreWatch,
} from '../store/backend.js';
import type { ChangeFeed } from './change-feed.js';
import type { Sql } from './transactions.js';

/** pg_advisory_xact_lock key of the store-wide lock. */
export const STORE_LOCK = 0x73746f72; // "stor"

/** The fallback re-read period when notifications are lost (the file backend polls every second). */
const DEFAULT_POLL_MS = 5_000;

interface Row {
  name: string;
  revision: string;
  value: unknown;
}

export interface PostgresBackendOptions {
  readonly sql: Sql;
  readonly feed: ChangeFeed;
  /** For error messages: "postgres://host/db". */
  readonly where: string;
  readonly close?: () => Promise<void>;
}

export function createPostgresBackend(options: PostgresBackendOptions): StoreBackend {
  const { sql, feed, where } = options;
  const kinds = new Set<string>(STORE_KINDS);
  const checkKind = (kind: StoreKind): void => {
    if (!kinds.has(kind)) throw new GatehouseError('GH_ERR_USAGE', `unknown store kind '${kind}'`);
  };
  const toRecord = (kind: StoreKind, row: Row): StoredRecord => ({
    kind,
    name: row.name,
    revision: String(row.revision),
    value: row.value,
    source: `${where} ${kind}/${row.name}`,
  });

  async function conflictOrGone(kind: StoreKind, name: string): Promise<never> {
    const { rowCount } = await sql.query('SELECT 1 FROM gh_store WHERE kind = $1 AND name = $2', [kind, name]);
    if (!rowCount) throw new GatehouseError('GH_ERR_STORE_NOT_FOUND', `${kind}/${name} no longer exists`);
    throw new GatehouseError('GH_ERR_STORE_CONFLICT', `${kind}/${name} changed since it was read; retry`);
  }

  const version = async (): Promise<string> => {
    const { rows } = await sql.query<{ version: string }>('SELECT version FROM gh_store_version WHERE id = 1');
    return String(rows[0]?.version ?? '0');
  };

  return {
    async get(kind, name) {
      checkKind(kind);
      const { rows } = await sql.query<Row>(
        'SELECT name, revision, value FROM gh_store WHERE kind = $1 AND name = $2',
        [kind, name],
      );
      return rows[0] && toRecord(kind, rows[0]);
    },

    async list(kind) {
      checkKind(kind);
      const { rows } = await sql.query<Row>(
        'SELECT name, revision, value FROM gh_store WHERE kind = $1 ORDER BY name COLLATE "C"',
        [kind],
      );
      return rows.map((r) => toRecord(kind, r));
    },

    async create(kind, name, value) {
      checkKind(kind);
      const { rows } = await sql.query<Row>(
        `INSERT INTO gh_store (kind, name, revision, value) VALUES ($1, $2, nextval('gh_store_revision'), $3)
         ON CONFLICT (kind, name) DO NOTHING RETURNING name, revision, value`,
        [kind, name, JSON.stringify(value)],
      );
      return rows[0] && toRecord(kind, rows[0]);
    },

    async put(kind, name, value, expectedRevision) {
      checkKind(kind);
      const json = JSON.stringify(value);
      if (expectedRevision === undefined) {
        const { rows } = await sql.query<Row>(
          `INSERT INTO gh_store (kind, name, revision, value) VALUES ($1, $2, nextval('gh_store_revision'), $3)
           ON CONFLICT (kind, name) DO UPDATE SET revision = excluded.revision, value = excluded.value
           RETURNING name, revision, value`,
          [kind, name, json],
        );
        return toRecord(kind, rows[0]!);
      }
      const { rows } = await sql.query<Row>(
        `UPDATE gh_store SET revision = nextval('gh_store_revision'), value = $3
         WHERE kind = $1 AND name = $2 AND revision = $4 RETURNING name, revision, value`,
        [kind, name, json, expectedRevision],
      );
      return rows[0] ? toRecord(kind, rows[0]) : conflictOrGone(kind, name);
    },

    async delete(kind, name, expectedRevision) {
      checkKind(kind);
      if (expectedRevision === undefined) {
        const { rowCount } = await sql.query('DELETE FROM gh_store WHERE kind = $1 AND name = $2', [kind, name]);
        return (rowCount ?? 0) > 0;
      }
      const { rowCount } = await sql.query('DELETE FROM gh_store WHERE kind = $1 AND name = $2 AND revision = $3', [
        kind,
        name,
        expectedRevision,
      ]);
      return (rowCount ?? 0) > 0 || conflictOrGone(kind, name);
    },

    async take(kind, name) {
      checkKind(kind);
      const { rows } = await sql.query<Row>(
        'DELETE FROM gh_store WHERE kind = $1 AND name = $2 RETURNING name, revision, value',
        [kind, name],
      );
      return rows[0] && toRecord(kind, rows[0]);
    },

    withLock: (fn) => sql.transaction(STORE_LOCK, fn),
    version,

    watch(onChange, watchOptions = {}): StoreWatch {
      let last = watchOptions.since;
      let busy = false;
      let again = false;
      const check = (): void => {
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        version()
          .then((v) => {
            if (last !== undefined && v !== last) onChange();
            last = v;
          })
          .catch(() => undefined)
          .finally(() => {
            busy = false;
            if (again) {
              again = false;
              check();
            }
          });
      };
      if (last === undefined) check();
      const unsubscribe = feed.subscribe(check);
      const timer = setInterval(check, watchOptions.intervalMs ?? DEFAULT_POLL_MS);
      timer.unref();
      return {
        close() {
          clearInterval(timer);
          unsubscribe();
        },
      };
    },

    close: options.close ?? (async () => {}),
  };
}
