import { type Bindings, type Logger, type LoggerOptions, pino } from 'pino';

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

/**
 * A child logger for something that lives as long as a session. pino appends each binding to
 * its parent's bindings text with `+=`, and V8 keeps such a result as a tree of small string
 * pieces (about four per field) until something reads it whole; a logger kept by an idle
 * session keeps that tree for the session's life (about 1.5 KiB for the proxy's ten fields).
 * The child's bindings text is replaced with one flat copy: the log lines are the same.
 */
export function createSessionLogger(parent: Logger, bindings: Bindings): Logger {
  const child = parent.child(bindings);
  const fields = child as unknown as Record<symbol, unknown>;
  const text = fields[pino.symbols.chindingsSym];
  if (typeof text === 'string') fields[pino.symbols.chindingsSym] = flatCopy(text);
  return child;
}

/** A new sequential string with the same text: not a tree or a slice over the old one. */
function flatCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
