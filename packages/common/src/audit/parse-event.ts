import { InvalidAuditEventError } from './audit-errors.js';
import { type AuditEvent, auditEventSchema } from './event-schemas.js';

/** Validates an event from anywhere untrusted (an engine, a file); throws GH_ERR_AUDIT_INVALID_EVENT with the path. */
export function parseAuditEvent(value: unknown): AuditEvent {
  const result = auditEventSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  throw new InvalidAuditEventError(path, issue?.message ?? 'does not match the schema', { cause: result.error });
}
