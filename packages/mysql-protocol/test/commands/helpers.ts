// Shared fixtures for the command tests.
import assert from 'node:assert/strict';
import { Capability, MysqlProtocolError } from '../../src/wire/index.js';

/** What a modern MySQL client negotiates, without query attributes. */
export const CAPS =
  Capability.Protocol41 |
  Capability.SecureConnection |
  Capability.PluginAuth |
  Capability.ConnectAttrs |
  Capability.DeprecateEof |
  Capability.MultiResults;

/** The same with CLIENT_QUERY_ATTRIBUTES. */
export const CAPS_QA = (CAPS | Capability.QueryAttributes) >>> 0;

export function assertProtocolError(fn: () => unknown, message?: string): void {
  assert.throws(fn, (err: unknown) => err instanceof MysqlProtocolError, message);
}

/** The command without its `bytes`, for comparing with what a serializer was given. */
export function fieldsOf<T extends { bytes: Buffer }>(command: T): Omit<T, 'bytes'> {
  const { bytes: _bytes, ...rest } = command;
  return rest;
}

/** A command's fields without `bytes`, per member of the union. */
export type CommandFields<T> = T extends unknown ? Omit<T, 'bytes'> : never;
