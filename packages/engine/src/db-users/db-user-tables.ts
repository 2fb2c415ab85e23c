// The bookkeeping the engines share in the database itself (docs/db-users.md, "The gatehouse
// schema"): which users Gatehouse made and what it granted them, and one row per live session
// with the engine and the database connection id that carry it. Engines on several hosts see
// the same rows, so one engine never locks a user another engine's session still uses.
import { sqlString } from './db-user-sql.js';

export const SCHEMA = 'gatehouse';

/** A session row without a connection id yet (the login is under way) is stale after this. */
export const PENDING_GRACE_SECONDS = 120;

export const CREATE_TABLES: readonly string[] = [
  `CREATE DATABASE IF NOT EXISTS ${SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${SCHEMA}.db_users (
    db_user VARCHAR(80) NOT NULL PRIMARY KEY,
    gatehouse_user VARCHAR(64) NOT NULL,
    granted TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    mode VARCHAR(8) NOT NULL,
    state VARCHAR(8) NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
  )`,
  `CREATE TABLE IF NOT EXISTS ${SCHEMA}.db_user_sessions (
    session_id VARCHAR(128) NOT NULL PRIMARY KEY,
    db_user VARCHAR(80) NOT NULL,
    engine_id VARCHAR(255) NOT NULL,
    connection_id BIGINT UNSIGNED NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY by_user (db_user)
  )`,
];

export interface UserRow {
  readonly gatehouseUser: string;
  /** Roles granted to the user itself. */
  readonly granted: readonly string[];
  /** Roles granted to its wrapper role (MariaDB, several roles). */
  readonly wrapped: readonly string[];
  readonly mode: 'lock' | 'drop';
  readonly state: 'active' | 'locked';
}

function parseList(text: string | null | undefined): string[] {
  try {
    const value: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function readUserRow(row: Readonly<Record<string, string | null>> | undefined): UserRow | undefined {
  if (row === undefined) return undefined;
  return {
    gatehouseUser: row.gatehouse_user ?? '',
    granted: parseList(row.granted),
    wrapped: parseList(row.wrapped),
    mode: row.mode === 'drop' ? 'drop' : 'lock',
    state: row.state === 'locked' ? 'locked' : 'active',
  };
}

export function selectUserSql(dbUser: string): string {
  return `SELECT gatehouse_user, granted, wrapped, mode, state FROM ${SCHEMA}.db_users WHERE db_user = ${sqlString(dbUser)}`;
}

export function upsertUserSql(dbUser: string, row: UserRow): string {
  const values = [
    dbUser,
    row.gatehouseUser,
    JSON.stringify(row.granted),
    JSON.stringify(row.wrapped),
    row.mode,
    row.state,
  ]
    .map(sqlString)
    .join(', ');
  return `INSERT INTO ${SCHEMA}.db_users (db_user, gatehouse_user, granted, wrapped, mode, state) VALUES (${values})
    ON DUPLICATE KEY UPDATE gatehouse_user = VALUES(gatehouse_user), granted = VALUES(granted),
      wrapped = VALUES(wrapped), mode = VALUES(mode), state = VALUES(state)`;
}

export function setStateSql(dbUser: string, state: UserRow['state']): string {
  return `UPDATE ${SCHEMA}.db_users SET state = ${sqlString(state)} WHERE db_user = ${sqlString(dbUser)}`;
}

export function deleteUserSql(dbUser: string): string {
  return `DELETE FROM ${SCHEMA}.db_users WHERE db_user = ${sqlString(dbUser)}`;
}

export function insertSessionSql(sessionId: string, dbUser: string, engineId: string): string {
  return `INSERT INTO ${SCHEMA}.db_user_sessions (session_id, db_user, engine_id) VALUES (${sqlString(sessionId.slice(0, 128))}, ${sqlString(dbUser)}, ${sqlString(engineId.slice(0, 255))})`;
}

export function attachSessionSql(sessionId: string, connectionId: number): string {
  return `UPDATE ${SCHEMA}.db_user_sessions SET connection_id = ${Math.trunc(connectionId)} WHERE session_id = ${sqlString(sessionId.slice(0, 128))}`;
}

export function deleteSessionSql(sessionId: string): string {
  return `DELETE FROM ${SCHEMA}.db_user_sessions WHERE session_id = ${sqlString(sessionId.slice(0, 128))}`;
}

/**
 * Removes session rows nobody is behind any more: the database connection they name is gone
 * from the processlist (its engine crashed or lost it), or the login never reported its
 * connection id. Needs the PROCESS privilege to see other users' connections.
 */
export function reapSessionsSql(dbUser?: string): string {
  const which = dbUser === undefined ? '' : `db_user = ${sqlString(dbUser)} AND `;
  return `DELETE FROM ${SCHEMA}.db_user_sessions WHERE ${which}(
    (connection_id IS NOT NULL AND connection_id NOT IN (SELECT ID FROM information_schema.PROCESSLIST))
    OR (connection_id IS NULL AND created_at < NOW() - INTERVAL ${PENDING_GRACE_SECONDS} SECOND))`;
}

export function countSessionsSql(dbUser: string): string {
  return `SELECT COUNT(*) AS n FROM ${SCHEMA}.db_user_sessions WHERE db_user = ${sqlString(dbUser)}`;
}

/** Users still unlocked that no session row keeps: what the sweep locks or drops. */
export const IDLE_ACTIVE_USERS_SQL = `SELECT u.db_user AS db_user FROM ${SCHEMA}.db_users u
  WHERE u.state = 'active' AND NOT EXISTS (SELECT 1 FROM ${SCHEMA}.db_user_sessions s WHERE s.db_user = u.db_user)`;
