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
  type HealthChecker,
  type HealthCheckerOptions,
  startHealthChecker,
} from './health/health-checker.js';
export { createHookRunner } from './hooks/hook-runner.js';
export {
  type HostCredentialKeeper,
  type HostCredentials,
  type JoinOptions,
  joinCluster,
  keepHostCredentials,
  loadHostCredentials,
  renewHostCredentials,
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
  decideCommand,
  type PolicyContext,
  type PolicyVerdict,
  type RelayCounters,
  type SessionDeps,
  type SessionHandle,
  type SessionStream,
  startSession,
  ThreadRegistry,
} from './session/index.js';
export { type RelayObserver, SessionObserver } from './session/session-observer.js';
export {
  createTunnelClient,
  TunnelClient,
  type TunnelClientOptions,
  type TunnelClientState,
  type TunnelCredentials,
} from './tunnel/index.js';
