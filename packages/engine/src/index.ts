// Public entry point of @gatehouse/engine.
export {
  type AuditSpool,
  type AuditSpoolOptions,
  createSpooledAuditSink,
  openAuditSpool,
  type SpooledAuditSink,
  type SpooledAuditSinkOptions,
  type SpoolForwarder,
  type SpoolForwarderOptions,
  type SpoolMetrics,
  type SpoolPipeline,
  type SpoolPipelineOptions,
  type SpoolRead,
  type SpoolStats,
  type SpoolSync,
  startSpoolForwarder,
  startSpoolPipeline,
} from './audit/index.js';
export {
  activeLock,
  type ClusterSnapshot,
  createDbClientCertCache,
  createInProcessCluster,
  createTunnelCluster,
  type DbClientCert,
  type DbClientCertCacheOptions,
  type DbClientCertRequest,
  type DbClientCertSigner,
  type EngineCluster,
  type InProcessClusterOptions,
  type TunnelClusterOptions,
} from './cluster/index.js';
export { EngineError, EngineMysqlError } from './errors.js';
export {
  type AuditSwitches,
  type Authorization,
  type AuthorizeInput,
  authorizeSession,
  decideCommand,
  type LeadingStatement,
  type Migratability,
  NOT_MIGRATABLE_TEXT,
  type NotMigratableReason,
  type PolicyContext,
  type PolicyVerdict,
  readLeadingStatement,
  type RelayCounters,
  type SessionDeps,
  type SessionHandle,
  SessionState,
  type SessionStream,
  startSession,
  ThreadRegistry,
  type TrackedStatement,
} from './session/index.js';
export {
  type BackoffOptions,
  computeBackoff,
  createTunnelClient,
  TunnelClient,
  type TunnelClientOptions,
  type TunnelClientState,
  type TunnelCredentials,
} from './tunnel/index.js';
export { type CreateEngineOptions, createEngine, type Engine } from './engine.js';
export {
  type HealthChecker,
  type HealthCheckerOptions,
  checkDatabase,
  startHealthChecker,
} from './health/health-checker.js';
export { type DenialReason, EngineMetrics, type SessionOutcome } from './diag/metrics.js';
export { type RelayObserver, SessionObserver } from './session/session-observer.js';
export {
  checkPinnedChain,
  type HostCredentialKeeper,
  type HostCredentials,
  joinCluster,
  type JoinOptions,
  type JsonResponse,
  keepHostCredentials,
  loadHostCredentials,
  postJson,
  type PostJsonOptions,
  renewHostCredentials,
  spkiPin,
} from './join/index.js';
export {
  AnalysisCache,
  type AnalysisCacheOptions,
  analyzeSql,
  decideStatement,
  type SqlAnalysis,
  type StatementContext,
  type StatementVerdict,
} from './policy/index.js';
