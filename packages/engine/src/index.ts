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
export { type DenialReason, EngineMetrics, type SessionOutcome } from './diag/metrics.js';
export { type CreateEngineOptions, createEngine, type Engine } from './engine.js';
export { EngineError, EngineMysqlError } from './errors.js';
export {
  checkDatabase,
  type HealthChecker,
  type HealthCheckerOptions,
  startHealthChecker,
} from './health/health-checker.js';
export { createHookRunner, type HookRunner } from './hooks/hook-runner.js';
// The hook API, for hook authors' type checking (docs/hooks.md).
export type {
  ConnectContext,
  HandshakeResponseContext,
  HookCommand,
  HookDenial,
  HookResult,
  HookReturn,
  OnCommand,
  OnConnect,
  OnHandshakeResponse,
  OnResult,
  ResultSummary,
  SessionContext,
} from './hooks/hook-types.js';
export {
  checkPinnedChain,
  type HostCredentialKeeper,
  type HostCredentials,
  type JoinOptions,
  type JsonResponse,
  joinCluster,
  keepHostCredentials,
  loadHostCredentials,
  type PostJsonOptions,
  postJson,
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
export {
  type AuditSwitches,
  type Authorization,
  type AuthorizeInput,
  authorizeSession,
  decideCommand,
  type LeadingStatement,
  type PolicyContext,
  type PolicyVerdict,
  type RelayCounters,
  readLeadingStatement,
  type SessionDeps,
  type SessionHandle,
  type SessionStream,
  startSession,
  ThreadRegistry,
} from './session/index.js';
export { type RelayObserver, SessionObserver } from './session/session-observer.js';
export {
  type BackoffOptions,
  computeBackoff,
  createTunnelClient,
  TunnelClient,
  type TunnelClientOptions,
  type TunnelClientState,
  type TunnelCredentials,
} from './tunnel/index.js';
