// The PostgreSQL backends: state store, CAs and audit store on one shared database.

export type { PruneResult } from './audit-partitions.js';
export { openPostgresAuditStore, type PostgresAuditStore, type PostgresAuditStoreOptions } from './audit-store.js';
export { caLockKey, createPostgresCaStorage } from './ca-storage.js';
export { describeUrl, type PostgresOptions, type PostgresTlsOptions } from './connect.js';
export { SCHEMA_VERSION } from './migrations.js';
export {
  createSecretBox,
  type EncryptionKeySource,
  loadEncryptionKey,
  parseEncryptionKey,
  type SecretBox,
} from './secret-box.js';
export { openPostgresBackend, openPostgresStorage, type PostgresStorage } from './storage.js';
export { createPostgresBackend, type PostgresBackendOptions } from './store-backend.js';
