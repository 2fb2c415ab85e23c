// What an automatic database user gets (docs/db-users.md): the roles that granted a session and
// ask for create_db_user decide it together, so a person holding two such roles gets the union
// of their db_roles, and the user is dropped at the end if any of them says drop.
import type { Role } from './schemas.js';

export interface DbUserPlan {
  /** The database roles to grant, in the order the roles list them, without repeats. */
  readonly dbRoles: readonly string[];
  /** What the end of the person's last session does to the user. */
  readonly mode: 'lock' | 'drop';
}

/** undefined when no granting role asks for an automatic database user. */
export function planDbUser(roles: readonly Role[], granting: readonly string[]): DbUserPlan | undefined {
  const names = new Set(granting);
  const dbRoles = new Set<string>();
  let asked = false;
  let drop = false;
  for (const role of roles) {
    const options = role.options;
    if (!names.has(role.name) || options?.create_db_user !== true) continue;
    asked = true;
    for (const r of options.db_roles ?? []) dbRoles.add(r);
    drop ||= options.create_db_user_mode === 'drop';
  }
  return asked ? { dbRoles: [...dbRoles], mode: drop ? 'drop' : 'lock' } : undefined;
}

/** Whether any of the roles asks for an automatic database user (for a login with no db user named). */
export function asksForDbUser(roles: readonly Role[]): boolean {
  return roles.some((r) => r.options?.create_db_user === true);
}
