// The audit store: the contract, and the default JSONL backend.

export { type AuditMetrics, createAuditMetrics } from './audit-metrics.js';
export type {
  AppendOptions,
  AppendResult,
  AuditPage,
  AuditPageFilter,
  AuditSearchFilter,
  AuditSessionSummary,
  AuditStore,
  VerifyReport,
} from './audit-store.js';
export { canonicalEventJson } from './canonical-event.js';
export { canonicalJson } from './canonical-json.js';
export { type ChainRecord, GENESIS_HASH, parseRecordLine } from './chain-record.js';
export {
  type JsonlAuditStore,
  type JsonlAuditStoreOptions,
  type JsonlAuditStoreStats,
  openJsonlAuditStore,
} from './jsonl-store.js';
export { resolveAuditDir } from './log-files.js';
export {
  auditWriterThread,
  openThreadedJsonlAuditStore,
  type ThreadedJsonlAuditStoreOptions,
  type WriterThreadSetting,
} from './threaded-jsonl-store.js';
export type { TailRepair } from './open-log.js';
export { searchAuditLog } from './search-log.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageAuditLog, parseSeqCursor } from './search-page.js';
export { pageSessions } from './session-summaries.js';
export { verifyAuditLog } from './verify-log.js';
