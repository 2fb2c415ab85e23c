// Public surface of the rbac area; see docs/architecture.md.
export {
  type AccessChecker,
  type AccessDecision,
  type AccessRequest,
  type AccessSubject,
  checkAccess,
  checkDbName,
  computeSessionOptions,
  createAccessChecker,
  type DatabaseTarget,
  describeDatabase,
  type SessionOptions,
} from './access-checker.js';
export { type AuditPermissions, computeAuditPermissions } from './audit-permissions.js';
export { asksForDbUser, type DbUserPlan, planDbUser } from './db-user-plan.js';
export { compileGlob, type Matcher } from './glob.js';
export {
  type DbLabels,
  DbLabelsSchema,
  DbRoleNameSchema,
  DurationSchema,
  type Lock,
  LockSchema,
  ObjectNameSchema,
  type Role,
  type RoleConditions,
  RoleConditionsSchema,
  type RoleOptions,
  RoleOptionsSchema,
  RoleSchema,
  type Token,
  TokenSchema,
  type TokenType,
  TokenTypeSchema,
  type Traits,
  TraitsSchema,
  type User,
  UserSchema,
} from './schemas.js';
export {
  checkStatementClass,
  DDL_VERBS,
  isStatementObject,
  isStatementVerb,
  STATEMENT_OBJECTS,
  STATEMENT_VERBS,
} from './statement-classes.js';
export { createStatementRules, type StatementRules } from './statement-rules.js';
export {
  checkUnixPeers,
  describeUnixPeer,
  matchesUnixPeerRule,
  type UnixPeer,
  type UnixPeerDecision,
  type UnixPeerRoles,
  type UnixPeerRule,
  UnixPeerRuleSchema,
  UnixPeerSchema,
} from './unix-peer.js';
export { formatSchemaIssues, parseLock, parseRole, parseToken, parseUser, parseWithSchema } from './validate.js';
