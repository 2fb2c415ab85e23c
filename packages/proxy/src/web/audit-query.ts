// The query strings of /v1/audit, validated with zod: a bad value is a 400 that names the
// parameter and the reason, never a search that silently ignores it.
import { parseDuration } from '@gatehouse/common';
import { z } from 'zod';

/** Longest URL the audit API reads; longer ones are refused before any parsing. */
export const MAX_AUDIT_URL = 4096;
const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `at most ${max} characters`);

/** An ISO time, or a duration back from now ("90m", "24h"). */
const when = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
      const t = Date.parse(value);
      if (!Number.isNaN(t)) return new Date(t);
    } else {
      try {
        return new Date(Date.now() - parseDuration(value));
      } catch {
        // reported below
      }
    }
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or a duration such as 24h' });
    return z.NEVER;
  });

const eventType = z
  .string()
  .max(128)
  .regex(/^[a-z_.]+\*?$/, 'must be an event type such as db.session.query, or a prefix ending in *');

const limit = (max: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, 'must be a whole number from 1')
    .transform(Number)
    .refine((n) => n <= max, `at most ${max}`);

const filterShape = {
  since: when.optional(),
  until: when.optional(),
  user: text(256).optional(),
  db: text(256).optional(),
  type: eventType.optional(),
  query: text(1024).optional(),
  // Opaque: each audit store makes its own (a seq, or a base64url key) and checks it when it
  // comes back; here only its alphabet and length.
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,512}$/, 'is not a cursor this server made')
    .optional(),
};

const format = z.enum(['json', 'jsonl', 'csv']).optional();

export const SessionsQuerySchema = z.strictObject({ ...filterShape, limit: limit(500).optional() });

export const EventsQuerySchema = z.strictObject({
  ...filterShape,
  session: text(128).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: limit(1000).optional(),
  format,
});

export const SessionEventsQuerySchema = z.strictObject({ format });

export const SessionIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'is not a session id');

export const LoginBodySchema = z.strictObject({ token: z.string().regex(/^[0-9a-f]{64}$/, 'is not a sign-in token') });

export const TerminateBodySchema = z.strictObject({ reason: text(1024) });

/** The first issue of a failed parse, as "name: reason". */
export function describeIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  if (issue === undefined) return `invalid ${what}`;
  const where = issue.path.length > 0 ? issue.path.join('.') : what;
  if (issue.code === 'unrecognized_keys') return `unknown parameter(s): ${issue.keys.join(', ')}`;
  return `${where}: ${issue.message}`;
}
