// Bounds on what decoding a command for the audit log may allocate. A client controls every
// byte of its commands, so without these a 1 GiB INSERT or a 65,535-parameter execute would
// turn into as much heap in the engine.

export interface CommandLimits {
  /** Longest SQL text or name decoded into a string, in bytes; the full length is kept beside it. */
  readonly maxTextBytes: number;
  /** Longest parameter value decoded (text) or kept (bytes view), in bytes. */
  readonly maxValueBytes: number;
  /** Parameters decoded per execute or bulk row; the rest are counted, not decoded. */
  readonly maxParams: number;
  /** Rows of a bulk execute decoded; every row is still counted. */
  readonly maxBulkRows: number;
}

export const DEFAULT_COMMAND_LIMITS: CommandLimits = Object.freeze({
  maxTextBytes: 64 * 1024,
  maxValueBytes: 1024,
  maxParams: 1024,
  maxBulkRows: 64,
});
