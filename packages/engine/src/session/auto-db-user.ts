// The session's side of automatic database users (docs/db-users.md): when a granting role asks
// for create_db_user, the login goes to the person's own database user, made or updated first,
// with a db-client certificate for it whatever the database's auth mode (the user is REQUIRE
// SUBJECT). The policy keeps the db user the person asked for (their own name), by which the
// roles allowed the session; the audit records the database user.
//
// On MariaDB the session itself sets its user's default role (SET DEFAULT ROLE for another
// user needs UPDATE on mysql.*) and activates it. The login selects no schema on either server:
// the schema the client asked for is entered after the roles are active.
import type { AuditSession, DatabaseConfig } from '@gatehouse/common';
import { ServerError } from '@gatehouse/mysql-protocol';
import { MonitorQueryError, type QueryLeg, queryRows } from '../backends/monitor-query.js';
import type { DbUserLease, DbUserManager } from '../db-users/db-user-manager.js';
import { sqlRole } from '../db-users/db-user-sql.js';
import { EngineError } from '../errors.js';
import type { Authorization } from './authorize.js';

export interface AutoDbUserLogin {
  readonly lease: DbUserLease;
  /** The authorization to log in with: its dbUser is the database user's name. */
  readonly loginAuth: Authorization;
  /** The database as the login sees it: x509 auth. */
  readonly database: DatabaseConfig;
  /** Runs on the logged-in connection before the client hears OK; closes it on failure. */
  afterLogin(upstream: QueryLeg): Promise<void>;
}

function quoteSchema(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** undefined when no granting role asks for an automatic database user. */
export async function leaseAutoDbUser(
  database: DatabaseConfig,
  manager: DbUserManager | undefined,
  auth: Authorization,
  session: AuditSession,
  timeoutMs = 10_000,
): Promise<AutoDbUserLogin | undefined> {
  const plan = auth.dbUserPlan;
  if (plan === undefined) return undefined;
  if (manager === undefined) {
    throw new EngineError(
      'GH_ERR_ENGINE_DB_USER',
      `role(s) of user '${auth.identity.user}' ask for an automatic database user (create_db_user), but database '${database.name}' has no admin_user`,
      ServerError.AccessDenied,
    );
  }
  const lease = await manager.acquire({ user: auth.identity.user, plan, session });
  const mariadb = lease.flavor === 'mariadb';
  const statements: string[] = [];
  if (mariadb) {
    const role = lease.ownDefaultRole === undefined ? 'NONE' : sqlRole(lease.ownDefaultRole);
    statements.push(`SET DEFAULT ROLE ${role}`, `SET ROLE ${role}`);
  }
  // The schema is entered once the roles are active, on both servers: its privileges come
  // from the roles only.
  if (auth.dbName.length > 0) statements.push(`USE ${quoteSchema(auth.dbName)}`);
  return {
    lease,
    loginAuth: { ...auth, dbUser: lease.dbUser, dbName: '' },
    database: database.auth.mode === 'x509' ? database : { ...database, auth: { mode: 'x509' } },
    async afterLogin(upstream) {
      try {
        for (const sql of statements) await queryRows(upstream, sql, timeoutMs);
      } catch (err) {
        upstream.socket.destroy();
        if (err instanceof MonitorQueryError) {
          throw new EngineError('GH_ERR_ENGINE_DB_USER', `database '${database.name}': ${err.message}`, {
            errno: err.errno,
            sqlState: err.errno === 1044 || err.errno === 1049 ? '42000' : 'HY000',
          });
        }
        throw err;
      }
    },
  };
}
