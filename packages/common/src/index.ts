// Each area keeps its own barrel, so work on one never collides with another.
export {
  AUDIT_EVENT_TYPES,
  type Audit,
  type AuditEvent,
  AuditFailure,
  type AuditHookExtras,
  type AuditOutcome,
  type AuditSession,
  type AuditSink,
  type AuditStatement,
  type AuditValue,
  type AuditWriteGate,
  auditErrorSchema,
  auditEventCode,
  auditEventSchema,
  auditOutcomeSchema,
  type BatchingSink,
  createAudit,
  createBatchingSink,
  InvalidAuditEventError,
  parseAuditEvent,
} from './audit/index.js';
export { ClientError, describeClientError, UNREACHABLE } from './client-error.js';
export {
  applyKeepalive,
  type BackendConfig,
  type DatabaseConfig,
  DatabaseSchema,
  type EngineConfig,
  EngineConfigSchema,
  type GatehouseConfig,
  GatehouseConfigSchema,
  type KeepaliveConfig,
  loadConfig,
  type ProxyConfig,
  parseConfig,
  type RoutingPolicy,
  type StorageConfig,
} from './config/index.js';
export { formatDuration, parseDuration } from './duration.js';
export { guardEmitter } from './error-boundary.js';
export { type ErrorCode, GatehouseError, isGatehouseError } from './errors.js';
export {
  encodeIdentityExtension,
  IDENTITY_EXTENSION_OID,
  type Identity,
  type IdentityExtension,
  type LockLookup,
  placeholderOid,
  readSubjectNames,
  resignWithOid,
  type TrustedCa,
  verifyIdentity,
} from './identity/index.js';
export { createLogger, createSessionLogger, type Logger } from './logger.js';
export {
  type AccessChecker,
  type AccessDecision,
  checkUnixPeers,
  computeAuditPermissions,
  computeSessionOptions,
  createAccessChecker,
  createStatementRules,
  type DatabaseTarget,
  type DbUserPlan,
  DDL_VERBS,
  formatSchemaIssues,
  isStatementObject,
  isStatementVerb,
  type Lock,
  LockSchema,
  parseRole,
  planDbUser,
  type Role,
  RoleSchema,
  type SessionOptions,
  type StatementRules,
  type Token,
  TokenSchema,
  type TokenType,
  TokenTypeSchema,
  type Traits,
  type UnixPeer,
  UnixPeerSchema,
  type User,
  UserSchema,
} from './rbac/index.js';
export { forgetSessionToken } from './session-token/forget-session-token.js';
export {
  createSessionTokenSigner,
  type SessionTokenInput,
  type SessionTokenSigner,
  signSessionToken,
} from './session-token/session-token.js';
export { SessionTokenError } from './session-token/session-token-error.js';
export { SessionTokenVerifier } from './session-token/session-token-verifier.js';
