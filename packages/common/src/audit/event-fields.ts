// Building blocks shared by the audit event schemas. Field names are snake_case like
// Teleport's JSON events, so the log reads the same to people who know those.
import { z } from 'zod';
import { AUDIT_EVENT_CODES, type AuditEventType } from './event-codes.js';

const name = z.string().max(256);
const count = z.int().min(0);

/** Fields every event carries, whatever its type. */
export const auditEventBaseShape = {
  /** Unique per event; the store drops a redelivered uid. */
  uid: z.uuid(),
  /** When it happened, ISO 8601 in UTC. */
  time: z.iso.datetime(),
  /** The Gatehouse session id. */
  sid: z.string().min(1).max(128),
  user: name,
  roles: z.array(name).max(256),
  db_service: name,
  db_user: name,
  db_name: name,
  /** The real client address (after the PROXY protocol), "host:port". */
  client_addr: z.string().max(300),
  engine_id: name,
  proxy_id: name,
} as const;

/** `event` and `code` for one event type: the code must be one of that type's two. */
export function auditTypeShape<T extends AuditEventType>(type: T) {
  const codes = AUDIT_EVENT_CODES[type];
  return { event: z.literal(type), code: z.enum([codes.ok, codes.failed]) } as const;
}

/** A failure as it is recorded: MySQL errno/SQLSTATE when there is one, a GH_ERR_* code when it is ours. */
export const auditErrorSchema = z.strictObject({
  message: z.string().max(4096),
  errno: z.int().min(0).max(65535).optional(),
  sqlstate: z
    .string()
    .regex(/^[0-9A-Z]{5}$/)
    .optional(),
  code: z.string().max(64).optional(),
});
export type AuditError = z.infer<typeof auditErrorSchema>;

/** How a command ended: an OK packet, a result set, or an ERR packet. */
export const auditOutcomeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ok'),
    affected_rows: count,
    last_insert_id: count.optional(),
    warnings: count.optional(),
  }),
  z.strictObject({ kind: z.literal('rows'), rows: count, warnings: count.optional() }),
  z.strictObject({
    kind: z.literal('error'),
    errno: z.int().min(0).max(65535),
    sqlstate: z
      .string()
      .regex(/^[0-9A-Z]{5}$/)
      .optional(),
    message: z.string().max(4096),
  }),
]);
export type AuditOutcome = z.infer<typeof auditOutcomeSchema>;

/** Query text after redaction and bounding, and the length of the text as the client sent it. */
export const auditQueryShape = {
  query: z.string(),
  /** The full length in bytes (UTF-8) of the text the client sent. */
  query_length: count,
  /** True when `query` holds only the first part of the text. */
  query_truncated: z.boolean(),
} as const;

/** The result of a command when the engine saw its response. */
export const auditResultShape = {
  outcome: auditOutcomeSchema.optional(),
  duration_ms: z.number().min(0).optional(),
} as const;

export const auditStatementId = z.int().min(0).max(0xffff_ffff);
export const auditCount = count;
