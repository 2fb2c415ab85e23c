// The PostgreSQL backends: state store, CAs and audit store on one shared database.
export { describeUrl, type PostgresOptions, type PostgresTlsOptions } from './connect.js';
export { SCHEMA_VERSION } from './migrations.js';
export { createPostgresBackend, type PostgresBackendOptions } from './store-backend.js';
export { openPostgresBackend, openPostgresStorage, type PostgresStorage } from './storage.js';
export { openPostgresAuditStore, type PostgresAuditStore, type PostgresAuditStoreOptions } from './audit-store.js';
export type { PruneResult } from './audit-partitions.js';
export { caLockKey, createPostgresCaStorage } from './ca-storage.js';
export { createSecretBox, type EncryptionKeySource, loadEncryptionKey, parseEncryptionKey, type SecretBox } from './secret-box.js';
