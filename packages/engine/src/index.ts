// Public entry point of @gatehouse/engine.
export * from './audit/index.js';
export * from './cluster/index.js';
export { EngineError, EngineMysqlError } from './errors.js';
export * from './session/index.js';
export * from './tunnel/index.js';
