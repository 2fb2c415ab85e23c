// Public surface of the engine's session area.
export { type Authorization, type AuthorizeInput, authorizeSession } from './authorize.js';
export type { AuditSwitches } from './command-audit.js';
export { decideCommand, type PolicyContext, type PolicyVerdict } from './command-policy.js';
export { type LeadingStatement, readLeadingStatement } from './leading-statement.js';
export type { RelayCounters } from './relay.js';
export { type SessionDeps, type SessionHandle, type SessionStream, startSession } from './session.js';
export {
  type Migratability,
  NOT_MIGRATABLE_TEXT,
  type NotMigratableReason,
  SessionState,
  type TrackedStatement,
} from './session-state.js';
export { ThreadRegistry } from './thread-registry.js';
