// The statements that make, grant, lock and drop an automatic database user, in the syntax of
// MariaDB 10.6+ and MySQL 8.0+. The two differ only in how default roles are set: MariaDB takes
// one (`SET DEFAULT ROLE r FOR u`), MySQL a list (`SET DEFAULT ROLE r1, r2 TO u`).
// Names reach here from strict schemas (db_roles, Gatehouse user names), and are quoted anyway.
import type { ServerFlavor } from './db-user-name.js';

/** A string literal that stays one literal with or without NO_BACKSLASH_ESCAPES. */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A role name, quoted as an identifier (on MySQL: the role `name`@`%`). */
export function sqlRole(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export function sqlAccount(dbUser: string): string {
  return `${sqlString(dbUser)}@'%'`;
}

/** What the engine's db-client certificate for `dbUser` presents (CN only; see pki/issue.ts). */
export function certSubject(dbUser: string): string {
  return `/CN=${dbUser}`;
}

export function createUserSql(dbUser: string): string {
  // Created locked: it is unlocked only once its roles are in place.
  return `CREATE USER ${sqlAccount(dbUser)} REQUIRE SUBJECT ${sqlString(certSubject(dbUser))} ACCOUNT LOCK`;
}

export function requireSubjectSql(dbUser: string): string {
  return `ALTER USER ${sqlAccount(dbUser)} REQUIRE SUBJECT ${sqlString(certSubject(dbUser))}`;
}

export function lockSql(dbUser: string, locked: boolean): string {
  return `ALTER USER ${sqlAccount(dbUser)} ACCOUNT ${locked ? 'LOCK' : 'UNLOCK'}`;
}

/** One statement per role: MariaDB grants and revokes one role at a time. */
export function grantRolesSql(roles: readonly string[], to: string): string[] {
  return roles.map((role) => `GRANT ${sqlRole(role)} TO ${to}`);
}

export function revokeRolesSql(roles: readonly string[], from: string): string[] {
  return roles.map((role) => `REVOKE ${sqlRole(role)} FROM ${from}`);
}

export function defaultRoleSql(flavor: ServerFlavor, roles: readonly string[], dbUser: string): string {
  const list = roles.length === 0 ? 'NONE' : roles.map(sqlRole).join(', ');
  if (flavor === 'mariadb') {
    if (roles.length > 1) throw new TypeError('MariaDB sets one default role');
    return `SET DEFAULT ROLE ${list} FOR ${sqlAccount(dbUser)}`;
  }
  return `SET DEFAULT ROLE ${list} TO ${sqlAccount(dbUser)}`;
}

export function createRoleSql(role: string): string {
  return `CREATE ROLE IF NOT EXISTS ${sqlRole(role)}`;
}

export function dropRoleSql(role: string): string {
  return `DROP ROLE IF EXISTS ${sqlRole(role)}`;
}

export function dropUserSql(dbUser: string): string {
  return `DROP USER IF EXISTS ${sqlAccount(dbUser)}`;
}

export function userExistsSql(dbUser: string): string {
  return `SELECT COUNT(*) AS n FROM mysql.user WHERE User = ${sqlString(dbUser)} AND Host = '%'`;
}

/**
 * Who holds which roles, as the engine should arrange it: on MariaDB several roles go to one
 * wrapper role that is the user's default (it activates the roles granted to it); otherwise
 * the roles are granted to the user directly and all are default.
 */
export interface RoleLayout {
  /** Granted to the user. */
  readonly direct: readonly string[];
  /** Granted to the wrapper role (empty: no wrapper). */
  readonly wrapped: readonly string[];
  /** The user's default roles. */
  readonly defaults: readonly string[];
}

export function layoutRoles(flavor: ServerFlavor, roles: readonly string[], wrapper: string): RoleLayout {
  if (flavor === 'mariadb' && roles.length > 1) return { direct: [wrapper], wrapped: roles, defaults: [wrapper] };
  return { direct: roles, wrapped: [], defaults: roles };
}
