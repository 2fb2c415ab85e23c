// Each area keeps its own barrel, so work on one never collides with another.
export * from './audit/index.js';
export * from './cluster/index.js';
export * from './config/index.js';
export { formatDuration, parseDuration } from './duration.js';
export { ERROR_CODES, type ErrorCode, GatehouseError, isGatehouseError } from './errors.js';
export * from './identity/index.js';
export { type CreateLoggerOptions, createLogger, type Logger } from './logger.js';
export * from './metrics/index.js';
export * from './mysql/index.js';
export * from './proxy-protocol/index.js';
export * from './rbac/index.js';
export * from './tunnel/index.js';
