// Who may review the audit log, and who may end someone else's live session. Roles grant these
// with `options.audit: { read, terminate }`; any one role is enough, as with allow rules.
import type { Role } from './schemas.js';

export interface AuditPermissions {
  /** Search, replay, export and verify the audit log. */
  readonly read: boolean;
  /** Terminate a live session (implies nothing about read; the web app asks for both). */
  readonly terminate: boolean;
}

export function computeAuditPermissions(roles: readonly Role[]): AuditPermissions {
  return {
    read: roles.some((r) => r.options?.audit?.read === true),
    terminate: roles.some((r) => r.options?.audit?.terminate === true),
  };
}
