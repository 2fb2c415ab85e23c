// Versioned schema migrations, run at startup by every process under one advisory lock, so
// concurrent starts apply each step once. A database migrated by a newer Gatehouse is refused:
// an older process would write rows the newer one does not expect.
import { GatehouseError } from '@gatehouse/common';
import type { Sql } from './transactions.js';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** pg_advisory_xact_lock key for migrations: any constant unlikely to collide with an application's. */
const MIGRATION_LOCK = 0x67617465; // "gate"

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state store',
    sql: `
      CREATE SEQUENCE gh_store_revision;
      CREATE TABLE gh_store (
        kind text NOT NULL,
        name text NOT NULL,
        revision bigint NOT NULL,
        value jsonb NOT NULL,
        PRIMARY KEY (kind, name)
      );
      CREATE TABLE gh_store_version (id int PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
      INSERT INTO gh_store_version VALUES (1, 0);
      -- One statement-level trigger gives every writer (gatehouse, gatectl, a manual fix) the
      -- version bump and the notification that other processes reload on.
      CREATE FUNCTION gh_store_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE gh_store_version SET version = version + 1;
        PERFORM pg_notify('gh_store', TG_TABLE_NAME);
        RETURN NULL;
      END $$;
      CREATE TRIGGER gh_store_changed AFTER INSERT OR UPDATE OR DELETE ON gh_store
        FOR EACH STATEMENT EXECUTE FUNCTION gh_store_changed();
    `,
  },
  {
    version: 2,
    name: 'certificate authorities',
    sql: `
      CREATE TABLE gh_ca (
        type text PRIMARY KEY,
        state jsonb NOT NULL,
        revision bigint NOT NULL
      );
      CREATE TABLE gh_ca_generation (
        id text PRIMARY KEY,
        type text NOT NULL,
        certificate text NOT NULL,
        -- AES-256-GCM of the PKCS#8 PEM with storage.encryption_key: a dump alone cannot sign.
        key_ciphertext bytea NOT NULL
      );
      CREATE TRIGGER gh_ca_changed AFTER INSERT OR UPDATE OR DELETE ON gh_ca
        FOR EACH STATEMENT EXECUTE FUNCTION gh_store_changed();
    `,
  },
  {
    version: 3,
    name: 'audit log',
    sql: `
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      -- Partitioned by the day the row was stored, not by event time: each writer stores in
      -- order, so dropping the oldest partition removes a prefix of every writer's chain, and
      -- gh_audit_pruned keeps where each chain continues.
      CREATE TABLE gh_audit (
        writer text NOT NULL,
        seq bigint NOT NULL,
        stored timestamptz NOT NULL,
        uid text NOT NULL,
        time timestamptz NOT NULL,
        event_type text COLLATE "C" NOT NULL,
        usr text NOT NULL,
        db_service text NOT NULL,
        db_name text NOT NULL,
        sid text NOT NULL,
        query text,
        prev text NOT NULL,
        hash text NOT NULL,
        -- The event's canonical JSON (RFC 8785), exactly the bytes the hash covers.
        body text NOT NULL,
        PRIMARY KEY (writer, seq, stored)
      ) PARTITION BY RANGE (stored);
      CREATE INDEX gh_audit_time ON gh_audit (time);
      CREATE INDEX gh_audit_user_time ON gh_audit (usr, time);
      CREATE INDEX gh_audit_service_time ON gh_audit (db_service, time);
      CREATE INDEX gh_audit_name_time ON gh_audit (db_name, time);
      CREATE INDEX gh_audit_sid_time ON gh_audit (sid, time);
      CREATE INDEX gh_audit_type_time ON gh_audit (event_type, time);
      CREATE INDEX gh_audit_query ON gh_audit USING gin (lower(query) gin_trgm_ops);
      -- Idempotent redelivery: a partitioned table cannot hold a unique index on uid alone
      -- (the partition key must be in it), so the uids have a table of their own.
      CREATE TABLE gh_audit_uid (uid text PRIMARY KEY, stored timestamptz NOT NULL);
      CREATE INDEX gh_audit_uid_stored ON gh_audit_uid (stored);
      -- Each writer's last (seq, hash): rows deleted from the end of a chain show as a gap here.
      CREATE TABLE gh_audit_head (writer text PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL);
      -- Where each chain continues after retention dropped its oldest rows.
      CREATE TABLE gh_audit_pruned (writer text PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the schema to SCHEMA_VERSION in one transaction under the migration lock (two processes
 * starting together migrate once); refuses a database whose schema is newer.
 */
export async function migrate(sql: Sql): Promise<void> {
  const known = SCHEMA_VERSION;
  await sql.transaction(MIGRATION_LOCK, async () => {
    await sql.query(
      'CREATE TABLE IF NOT EXISTS gh_schema (version int PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await sql.query<{ v: number | null }>('SELECT max(version) AS v FROM gh_schema');
    const current = rows[0]?.v ?? 0;
    if (current > known) {
      throw new GatehouseError(
        'GH_ERR_STORE_SCHEMA_NEWER',
        `the PostgreSQL schema is at version ${current}, newer than this Gatehouse knows (${known}); upgrade this process instead of running an older one against it`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await sql.query(m.sql);
      await sql.query('INSERT INTO gh_schema (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
  });
}
