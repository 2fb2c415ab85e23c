// Opens what `storage` in the config names: the file backend under data_dir (the embedded
// default), or one PostgreSQL database that every auth process and gatectl share. Callers get
// the same Store, Authorities and AuditStore either way.
import { type AuditEvent, GatehouseError, type StorageConfig } from '@gatehouse/common';
import type { AuditSearchFilter, AuditStore, VerifyReport } from './audit/audit-store.js';
import { openJsonlAuditStore, openThreadedJsonlAuditStore, type TailRepair } from './audit/index.js';
import { resolveAuditDir } from './audit/log-files.js';
import { searchAuditLog } from './audit/search-log.js';
import { verifyAuditLog } from './audit/verify-log.js';
import type { Authorities, InitOptions } from './pki/authorities.js';
import { initAuthorities, openAuthorities } from './pki/authorities.js';
import type { CaStorage } from './pki/ca-storage.js';
import type { CaType } from './pki/create-ca.js';
import { searchPostgresAudit } from './postgres/audit-search.js';
import { openPostgresAuditStore } from './postgres/audit-store.js';
import { verifyPostgresAudit } from './postgres/audit-verify.js';
import { createPostgresCaStorage } from './postgres/ca-storage.js';
import { createSecretBox, loadEncryptionKey } from './postgres/secret-box.js';
import { openPostgresStorage, type PostgresStorage } from './postgres/storage.js';
import { createPostgresBackend } from './postgres/store-backend.js';
import { openStore, type Store } from './store/store.js';

export interface ClusterStateOptions {
  readonly dataDir: string;
  readonly storage?: StorageConfig;
  /** For storage.encryption_key_env; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface AuditWriterOptions {
  readonly onRepair?: (repair: TailRepair) => void;
  /** PostgreSQL: drop partitions older than this. */
  readonly retentionMs?: number | undefined;
  /** PostgreSQL: this process's chain id (default: host name and a random suffix). */
  readonly writerId?: string;
  /** Files: the time each group write took, for the metrics (audit flush latency). */
  readonly onGroupWritten?: (seconds: number) => void;
  /** Files: chain and write in a thread of its own (config audit.writer_thread); default false. */
  readonly thread?: boolean;
}

export interface ClusterState {
  readonly backend: 'file' | 'postgres';
  /** The data dir, or "postgres://user@host:port/db": for messages. */
  readonly where: string;
  readonly store: Store;
  openAuthorities(): Promise<Authorities>;
  /** Creates the CAs that are missing (`gatectl ca init`, the first `gatehouse start`). */
  initAuthorities(options?: InitOptions): Promise<{ authorities: Authorities; created: CaType[] }>;
  /** The audit store this process appends to. */
  openAuditWriter(options?: AuditWriterOptions): Promise<AuditStore>;
  /** Search and verify without becoming a writer, so gatectl works while servers append. */
  readonly audit: {
    search(filter: AuditSearchFilter): Promise<AuditEvent[]>;
    verify(): Promise<VerifyReport>;
  };
  /** Calls `onChange` when CA state changes in another process (PostgreSQL only). */
  watchAuthorities(onChange: () => void): () => void;
  close(): Promise<void>;
}

export async function openClusterState(options: ClusterStateOptions): Promise<ClusterState> {
  const storage = options.storage ?? { backend: 'file', max_connections: 10 };
  if (storage.backend === 'file') return openFileState(options.dataDir);
  if (storage.url === undefined)
    throw new GatehouseError('GH_ERR_CONFIG', 'storage.url is required for the postgres backend');
  // Read the key first: a process that cannot sign should not start half-way.
  const box = createSecretBox(loadEncryptionKey(storage, options.env));
  const pg = await openPostgresStorage({
    url: storage.url,
    tls: storage.tls,
    maxConnections: storage.max_connections,
  });
  try {
    return await postgresState(pg, createPostgresCaStorage(pg.sql, box, pg.where));
  } catch (err) {
    await pg.close();
    throw err;
  }
}

async function openFileState(dataDir: string): Promise<ClusterState> {
  const store = await openStore({ dataDir });
  const auditDir = resolveAuditDir(dataDir);
  return {
    backend: 'file',
    where: dataDir,
    store,
    openAuthorities: () => openAuthorities(dataDir),
    initAuthorities: (init) => initAuthorities(dataDir, init),
    openAuditWriter: (o = {}) => {
      const writer = {
        dir: auditDir,
        ...(o.onRepair ? { onRepair: o.onRepair } : {}),
        ...(o.onGroupWritten ? { onGroupWritten: o.onGroupWritten } : {}),
      };
      return o.thread === true ? openThreadedJsonlAuditStore(writer) : openJsonlAuditStore(writer);
    },
    audit: { search: (filter) => searchAuditLog(auditDir, filter), verify: () => verifyAuditLog(auditDir) },
    watchAuthorities: () => () => undefined,
    close: () => store.close(),
  };
}

async function postgresState(pg: PostgresStorage, ca: CaStorage): Promise<ClusterState> {
  const store: Store = await openStore({ dataDir: '', backend: createPostgresBackend(pg) });
  return {
    backend: 'postgres',
    where: pg.where,
    store,
    openAuthorities: () => openAuthorities(ca),
    initAuthorities: (init) => initAuthorities(ca, init),
    openAuditWriter: (o = {}) =>
      openPostgresAuditStore({
        sql: pg.sql,
        ...(o.writerId ? { writerId: o.writerId } : {}),
        ...(o.retentionMs !== undefined ? { retentionMs: o.retentionMs } : {}),
      }),
    audit: { search: (filter) => searchPostgresAudit(pg.sql, filter), verify: () => verifyPostgresAudit(pg.sql) },
    watchAuthorities: (onChange) => pg.feed.subscribe(onChange),
    close: () => pg.close(),
  };
}
