// Events of automatic database users (docs/db-users.md): the engine made, updated, locked or
// dropped the database user of a person. The base fields are the session's that caused it;
// `db_user` is the database user itself. A lock or drop by the engine's sweep (the sessions
// ended without a word, e.g. an engine crash) has a `sid` of its own, `sweep-…`.
import { z } from 'zod';
import { auditEventBaseShape, auditTypeShape } from './event-fields.js';

const dbRoles = z.array(z.string().max(256)).max(256);

const dbUserShape = {
  /** The database roles the user holds after the change (for lock and drop: held until then). */
  db_roles: dbRoles,
} as const;

export const dbUserCreateEventSchema = z.strictObject({
  ...auditEventBaseShape,
  ...auditTypeShape('db.user.create'),
  ...dbUserShape,
});

export const dbUserUpdateEventSchema = z.strictObject({
  ...auditEventBaseShape,
  ...auditTypeShape('db.user.update'),
  ...dbUserShape,
  /** Roles the engine had granted before and revoked now (the person's roles changed). */
  revoked_roles: dbRoles.optional(),
  /** True when the user was locked and this connect unlocked it. */
  unlocked: z.boolean().optional(),
});

const endShape = {
  ...dbUserShape,
  /** What ended the user's last session: `session_end`, or `sweep` for sessions found dead. */
  reason: z.enum(['session_end', 'sweep']),
} as const;

export const dbUserLockEventSchema = z.strictObject({
  ...auditEventBaseShape,
  ...auditTypeShape('db.user.lock'),
  ...endShape,
});

export const dbUserDropEventSchema = z.strictObject({
  ...auditEventBaseShape,
  ...auditTypeShape('db.user.drop'),
  ...endShape,
});
