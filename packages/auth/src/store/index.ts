// Public surface of the users/roles/tokens/locks store.
export {
  type AtomicWriteHooks,
  type AtomicWriteOptions,
  createFileAtomic,
  writeFileAtomic,
} from '../files/atomic-file.js';
export { acquireLockFile, type LockFileOptions, type ReleaseLock, withLockFile } from '../files/lock-file.js';
export {
  STORE_KINDS,
  type StoreBackend,
  type StoredRecord,
  type StoreKind,
  type StoreWatch,
  type WatchOptions,
} from './backend.js';
export type { EngineDrainRequest } from './engine-drains.js';
export { createFileBackend, type FileBackendOptions } from './file-backend.js';
export { type ProxyHeartbeat, type ProxyRecord, ProxyRecordSchema } from './proxies.js';
export {
  type NewUser,
  type OpenStoreOptions,
  openStore,
  type Store,
  type UserAccess,
  type UserPatch,
} from './store.js';
export { type CreatedToken, computeCaPin, hashTokenSecret, type TokenInfo } from './tokens.js';
