import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line. */
const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  'key',
  '*.key',
  'authorization',
  '*.authorization',
];

export interface CreateLoggerOptions {
  readonly level?: string;
  readonly name?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read the lines back. */
  readonly destination?: NodeJS.WritableStream;
}

/** The one place a root logger is made; every part gets a child of it. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (options.name !== undefined) config.name = options.name;
  return options.destination ? pino(config, options.destination) : pino(config);
}
