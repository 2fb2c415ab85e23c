export { ERROR_CODES, type ErrorCode, GatehouseError, isGatehouseError } from './errors.js';
export { type CreateLoggerOptions, createLogger, type Logger } from './logger.js';
