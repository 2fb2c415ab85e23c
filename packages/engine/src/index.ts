// Public entry point of @gatehouse/engine.
export * from './audit/index.js';
export * from './cluster/index.js';
export { EngineError, EngineMysqlError } from './errors.js';
export * from './session/index.js';
export * from './tunnel/index.js';
export { type CreateEngineOptions, createEngine, type Engine } from './engine.js';
export {
  type HealthChecker,
  type HealthCheckerOptions,
  checkDatabase,
  startHealthChecker,
} from './health/health-checker.js';
export { type DenialReason, EngineMetrics, type SessionOutcome } from './diag/metrics.js';
export { type RelayObserver, SessionObserver } from './session/session-observer.js';
export * from './join/index.js';
