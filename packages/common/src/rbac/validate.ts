// Turns zod failures into one message a person can act on: every issue as "path: reason".
import type { z } from 'zod';
import { GatehouseError } from '../errors.js';
import {
  type Lock,
  LockSchema,
  type Role,
  RoleSchema,
  type Token,
  TokenSchema,
  type User,
  UserSchema,
} from './schemas.js';

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out.length === 0 ? '(top level)' : out;
}

/** "allow.db_users[1]: must not be empty; name: …" */
export function formatSchemaIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

/**
 * Validates `input` against `schema`; on failure throws GH_ERR_CONFIG whose message starts
 * with `source` (a file name or "role 'dev'") and names every bad path.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, input: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new GatehouseError('GH_ERR_CONFIG', `${source}: ${formatSchemaIssues(result.error)}`, { cause: result.error });
}

export function parseRole(input: unknown, source = 'role'): Role {
  return parseWithSchema(RoleSchema, input, source);
}

export function parseUser(input: unknown, source = 'user'): User {
  return parseWithSchema(UserSchema, input, source);
}

export function parseToken(input: unknown, source = 'token'): Token {
  return parseWithSchema(TokenSchema, input, source);
}

export function parseLock(input: unknown, source = 'lock'): Lock {
  return parseWithSchema(LockSchema, input, source);
}
