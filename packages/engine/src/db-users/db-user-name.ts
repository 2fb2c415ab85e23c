// The name of a person's automatic database user (docs/db-users.md, "Names"): the Gatehouse user
// name when it fits the server's limit, otherwise a stable name made from it: its first
// characters, '-', and 12 hex digits of its SHA-256, exactly as long as the limit allows.
import { createHash } from 'node:crypto';

export type ServerFlavor = 'mariadb' | 'mysql';

/** The longest user name each server takes (MariaDB: 80 characters since 10.0; MySQL 8: 32). */
export const USER_NAME_LIMIT: Readonly<Record<ServerFlavor, number>> = { mariadb: 80, mysql: 32 };

const HASH_DIGITS = 12;

export function serverFlavor(serverVersion: string): ServerFlavor {
  return /mariadb/i.test(serverVersion) ? 'mariadb' : 'mysql';
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function autoDbUserName(user: string, flavor: ServerFlavor): string {
  const limit = USER_NAME_LIMIT[flavor];
  if (user.length <= limit) return user;
  return `${user.slice(0, limit - HASH_DIGITS - 1)}-${sha256Hex(user).slice(0, HASH_DIGITS)}`;
}

/**
 * The role that holds a user's several db_roles on MariaDB, which activates one default role
 * only (docs/db-users.md, "Default roles"). Made from a hash, so it fits any name limit.
 */
export function wrapperRoleName(dbUser: string): string {
  return `gh_roles_${sha256Hex(dbUser).slice(0, 16)}`;
}

/** The GET_LOCK name that serializes every engine's changes to one user (at most 64 characters). */
export function userLockName(dbUser: string): string {
  return `gatehouse.db_user.${sha256Hex(dbUser).slice(0, 32)}`;
}
