// The audit store: the contract, and the default JSONL backend.
export type { AppendOptions, AppendResult, AuditSearchFilter, AuditStore, VerifyReport } from './audit-store.js';
export { type AuditMetrics, createAuditMetrics } from './audit-metrics.js';
export { canonicalEventJson } from './canonical-event.js';
export { canonicalJson } from './canonical-json.js';
export { type ChainRecord, GENESIS_HASH } from './chain-record.js';
export {
  type JsonlAuditStore,
  type JsonlAuditStoreOptions,
  type JsonlAuditStoreStats,
  openJsonlAuditStore,
} from './jsonl-store.js';
export { resolveAuditDir } from './log-files.js';
export type { TailRepair } from './open-log.js';
export { searchAuditLog } from './search-log.js';
export { verifyAuditLog } from './verify-log.js';
