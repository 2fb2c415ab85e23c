// What a command parser needs beyond the payload: the session's capabilities, statement state,
// decode limits, and whether the payload is whole.

import { type CommandLimits, DEFAULT_COMMAND_LIMITS } from './limits.js';
import type { PreparedStatementRegistry } from './statement-registry.js';

export interface CommandParseOptions {
  /** The CLIENT_* capabilities negotiated for the session (unsigned 32-bit). */
  readonly capabilities: number;
  /** Statement state; without it executes parse, but their parameters stay undecoded. */
  readonly registry?: PreparedStatementRegistry;
  readonly limits?: CommandLimits;
  /**
   * The full payload length, when `payload` is only the first part the engine kept of an
   * oversized packet. Text and values past the kept part are reported with their full length.
   */
  readonly payloadLength?: number;
}

export interface ParseContext {
  readonly capabilities: number;
  readonly registry: PreparedStatementRegistry | undefined;
  readonly limits: CommandLimits;
  /** Full payload length (>= payload.length). */
  readonly payloadLength: number;
  /** Whether the payload is whole. */
  readonly complete: boolean;
}

export function createParseContext(payload: Buffer, options: CommandParseOptions): ParseContext {
  const payloadLength = Math.max(payload.length, options.payloadLength ?? payload.length);
  return {
    capabilities: options.capabilities,
    registry: options.registry,
    limits: options.limits ?? DEFAULT_COMMAND_LIMITS,
    payloadLength,
    complete: payloadLength === payload.length,
  };
}
