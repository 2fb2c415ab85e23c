// Public surface of the audit area: event schemas, redaction and bounds, and the Audit
// interface the engine's sessions call. See docs/audit.md.
export {
  type Audit,
  type AuditCommandDetails,
  type AuditHookExtras,
  type AuditLocalInfile,
  type AuditSink,
  type AuditStatement,
  type AuditWriteGate,
  type CreateAuditOptions,
  createAudit,
} from './audit.js';
export { AuditFailure, type AuditFailureCode, InvalidAuditEventError } from './audit-errors.js';
export { type AuditSession, toAuditError } from './audit-session.js';
export {
  type AuditValue,
  boundAuditValue,
  DEFAULT_PARAMETER_LIMIT,
  prepareAuditParameters,
  REDACTED_VALUE,
} from './audit-values.js';
export {
  type BatchingSink,
  type BatchingSinkOptions,
  type BatchingSinkStats,
  createBatchingSink,
  serializeAuditBatch,
} from './batching-sink.js';
export {
  type AuditQueryText,
  type BoundedText,
  boundUtf8,
  DEFAULT_QUERY_LIMIT,
  prepareAuditQuery,
} from './bound-text.js';
export {
  AUDIT_EVENT_CODES,
  AUDIT_EVENT_TYPES,
  type AuditEventCode,
  type AuditEventType,
  auditEventCode,
} from './event-codes.js';
export { type AuditError, type AuditOutcome, auditErrorSchema, auditOutcomeSchema } from './event-fields.js';
export {
  type AuditEvent,
  type AuditEventBase,
  type AuditEventOf,
  auditEventSchema,
  changeUserEventSchema,
  createDbEventSchema,
  debugEventSchema,
  dropDbEventSchema,
  initDbEventSchema,
  localInfileEventSchema,
  malformedPacketEventSchema,
  migrateEventSchema,
  processKillEventSchema,
  refreshEventSchema,
  resetConnectionEventSchema,
  sessionEndEventSchema,
  sessionQueryEventSchema,
  sessionStartEventSchema,
  shutDownEventSchema,
  statementBulkExecuteEventSchema,
  statementCloseEventSchema,
  statementExecuteEventSchema,
  statementFetchEventSchema,
  statementPrepareEventSchema,
  statementResetEventSchema,
  statementSendLongDataEventSchema,
  userChangeEventSchema,
} from './event-schemas.js';
export {
  dbUserCreateEventSchema,
  dbUserDropEventSchema,
  dbUserLockEventSchema,
  dbUserUpdateEventSchema,
} from './event-schemas-db-user.js';
export { engineDrainEventSchema } from './event-schemas-engine.js';
export { parseAuditEvent } from './parse-event.js';
export { type QueryEventFields, queryEventJson } from './query-event-json.js';
export { REDACTED_LITERAL, type RedactedQuery, redactQuery } from './redact-query.js';
