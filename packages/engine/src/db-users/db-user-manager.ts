// Automatic database users (docs/db-users.md): on connect, make or update the person's database
// user with exactly the roles their Gatehouse roles name and unlock it; when their last session
// on the database ends, lock or drop it. Every change to one user happens under a server-side
// GET_LOCK, and "last session" is counted from rows in the database (db-user-tables.ts), so
// engines on several hosts agree; rows whose connection is gone are reaped, and a periodic
// sweep locks the users that only such rows kept unlocked.
import { randomUUID } from 'node:crypto';
import type { Audit, AuditSession, DatabaseConfig, DbUserPlan } from '@gatehouse/common';
import type { Logger } from 'pino';
import type { DbClientCertSigner } from '../cluster/engine-cluster.js';
import { EngineError } from '../errors.js';
import { AdminConnection, type AdminSql } from './admin-connection.js';
import { autoDbUserName, type ServerFlavor, serverFlavor, userLockName, wrapperRoleName } from './db-user-name.js';
import {
  createRoleSql,
  createUserSql,
  defaultRoleSql,
  dropRoleSql,
  dropUserSql,
  grantRolesSql,
  layoutRoles,
  lockSql,
  requireSubjectSql,
  revokeRolesSql,
  sqlAccount,
  sqlRole,
  sqlString,
  userExistsSql,
} from './db-user-sql.js';
import {
  attachSessionSql,
  CREATE_TABLES,
  countSessionsSql,
  deleteSessionSql,
  deleteUserSql,
  IDLE_ACTIVE_USERS_SQL,
  insertSessionSql,
  readUserRow,
  reapSessionsSql,
  selectUserSql,
  setStateSql,
  type UserRow,
  upsertUserSql,
} from './db-user-tables.js';

/** How long a change waits for another engine's change to the same user. */
const LOCK_WAIT_SECONDS = 10;

export interface DbUserManagerOptions {
  readonly database: DatabaseConfig;
  readonly engineId: string;
  readonly signer: DbClientCertSigner;
  readonly audit: Audit;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

export interface DbUserRequest {
  /** The Gatehouse user. */
  readonly user: string;
  readonly plan: DbUserPlan;
  /** The session's audit record: its db_user becomes the database user's name. */
  readonly session: AuditSession;
}

/** A session's hold on its database user; release it once, when the session ends. */
export interface DbUserLease {
  readonly dbUser: string;
  readonly flavor: ServerFlavor;
  /**
   * MariaDB: the default role the session sets for its own user (SET DEFAULT ROLE for another
   * user needs UPDATE on mysql.*, which no admin should hold), or none. MySQL: the admin set it.
   */
  readonly ownDefaultRole: string | undefined;
  /** Records the session's database connection id, by which a crashed engine's rows are found. */
  attach(connectionId: number): void;
  release(): Promise<void>;
}

interface Provisioned {
  readonly dbUser: string;
  readonly flavor: ServerFlavor;
  readonly ownDefaultRole: string | undefined;
  readonly created: boolean;
  readonly revoked: string[];
  readonly unlocked: boolean;
}

function fail(database: string, message: string, cause?: unknown): EngineError {
  return new EngineError(
    'GH_ERR_ENGINE_DB_USER',
    `database '${database}': ${message}`,
    { errno: 1045, sqlState: '28000' },
    cause === undefined ? undefined : { cause },
  );
}

function minus(a: readonly string[], b: readonly string[]): string[] {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
}

async function withUserLock<T>(sql: AdminSql, dbUser: string, fn: () => Promise<T>): Promise<T> {
  const name = sqlString(userLockName(dbUser));
  const [row] = await sql.query(`SELECT GET_LOCK(${name}, ${LOCK_WAIT_SECONDS}) AS got`);
  if (row?.got !== '1')
    throw new Error(`another engine held the lock on database user '${dbUser}' for ${LOCK_WAIT_SECONDS} s`);
  try {
    return await fn();
  } finally {
    await sql.query(`SELECT RELEASE_LOCK(${name}) AS released`);
  }
}

async function run(sql: AdminSql, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.query(statement);
}

async function countOf(sql: AdminSql, text: string): Promise<number> {
  const [row] = await sql.query(text);
  return Number(row?.n ?? 0);
}

export class DbUserManager {
  readonly #options: DbUserManagerOptions;
  readonly #admin: AdminConnection;
  #sweepTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: DbUserManagerOptions) {
    this.#options = options;
    const { database, signer } = options;
    this.#admin = new AdminConnection(
      { database, signer, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) },
      async (sql) => {
        for (const statement of CREATE_TABLES) await sql.query(statement);
      },
    );
  }

  get database(): DatabaseConfig {
    return this.#options.database;
  }

  /** Starts the periodic sweep (databases[].admin_user.sweep_interval). */
  startSweep(): void {
    const interval = this.#options.database.admin_user?.sweep_interval ?? 60_000;
    const tick = (): void => {
      this.#sweepTimer = setTimeout(() => {
        this.sweep()
          .catch((err: unknown) =>
            this.#options.log.warn({ err, db: this.database.name }, 'database user sweep failed'),
          )
          .finally(() => {
            if (!this.#closed) tick();
          });
      }, interval);
      this.#sweepTimer.unref();
    };
    tick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#sweepTimer);
    await this.#admin.close();
  }

  /** Makes or updates the person's user, unlocks it and counts this session; throws GH_ERR_ENGINE_DB_USER. */
  async acquire(request: DbUserRequest): Promise<DbUserLease> {
    const { session } = request;
    const db = this.database.name;
    let result: Provisioned;
    try {
      result = await this.#admin.run((sql) => this.#provision(sql, request));
    } catch (err) {
      if (err instanceof EngineError) throw err;
      throw fail(db, `cannot set up the database user of '${request.user}': ${(err as Error).message}`, err);
    }
    const { dbUser } = result;
    session.dbUser = dbUser;
    const db_roles = [...request.plan.dbRoles];
    if (result.created) this.#options.audit.onCommand(session, { event: 'db.user.create', db_roles });
    else {
      this.#options.audit.onCommand(session, {
        event: 'db.user.update',
        db_roles,
        ...(result.revoked.length > 0 ? { revoked_roles: result.revoked } : {}),
        ...(result.unlocked ? { unlocked: true } : {}),
      });
    }
    let released = false;
    return {
      dbUser,
      flavor: result.flavor,
      ownDefaultRole: result.ownDefaultRole,
      attach: (connectionId) => {
        this.#admin
          .run((sql) => sql.query(attachSessionSql(session.id, connectionId)))
          .catch((err: unknown) =>
            this.#options.log.warn({ err, dbUser }, 'cannot record the session of a database user'),
          );
      },
      release: async () => {
        if (released) return;
        released = true;
        try {
          await this.#admin.run((sql) => this.#release(sql, dbUser, session, 'session_end'));
        } catch (err) {
          // The sweep locks it later: the row is gone with the connection, or reaped.
          this.#options.log.warn({ err, dbUser }, 'cannot release a database user; the sweep will');
        }
      },
    };
  }

  /** Reaps dead session rows and locks (or drops) the users no live session keeps. */
  async sweep(): Promise<number> {
    return this.#admin.run(async (sql) => {
      await sql.query(reapSessionsSql());
      const idle = await sql.query(IDLE_ACTIVE_USERS_SQL);
      let ended = 0;
      for (const row of idle) {
        const dbUser = row.db_user ?? '';
        const user = readUserRow((await sql.query(selectUserSql(dbUser)))[0]);
        const session: AuditSession = {
          id: `sweep-${randomUUID()}`,
          user: user?.gatehouseUser ?? '',
          roles: [],
          dbService: this.database.name,
          dbUser,
          dbName: '',
          clientAddr: '',
          engineId: this.#options.engineId,
          proxyId: '',
          clientAttributes: {},
        };
        if (await this.#release(sql, dbUser, session, 'sweep')) ended++;
      }
      return ended;
    });
  }

  /** Under the user's lock: claim, make or update, grant, unlock, count the session. */
  async #provision(sql: AdminSql, request: DbUserRequest): Promise<Provisioned> {
    const flavor = serverFlavor(sql.serverVersion);
    const dbUser = autoDbUserName(request.user, flavor);
    const db = this.database.name;
    return withUserLock(sql, dbUser, async () => {
      await sql.query(reapSessionsSql(dbUser));
      const row = readUserRow((await sql.query(selectUserSql(dbUser)))[0]);
      const exists = (await countOf(sql, userExistsSql(dbUser))) > 0;
      if (row !== undefined && row.gatehouseUser !== request.user) {
        throw fail(
          db,
          `database user '${dbUser}' belongs to Gatehouse user '${row.gatehouseUser}', not '${request.user}'`,
        );
      }
      if (row === undefined && exists) {
        throw fail(db, `a database user '${dbUser}' exists that Gatehouse did not make; it will not take it over`);
      }
      const wrapper = wrapperRoleName(dbUser);
      const layout = layoutRoles(flavor, request.plan.dbRoles, wrapper);
      // Claimed before it is made: a crash in between leaves a claim, which the next connect completes.
      const before: UserRow = row ?? {
        gatehouseUser: request.user,
        granted: [],
        wrapped: [],
        mode: request.plan.mode,
        state: 'locked',
      };
      if (row === undefined) await sql.query(upsertUserSql(dbUser, before));
      const account = sqlAccount(dbUser);
      const granted = exists ? before.granted : [];
      if (!exists) await sql.query(createUserSql(dbUser));
      else await sql.query(requireSubjectSql(dbUser));
      if (layout.wrapped.length > 0) {
        await sql.query(createRoleSql(wrapper));
        await run(sql, grantRolesSql(layout.wrapped, sqlRole(wrapper)));
        await run(sql, revokeRolesSql(minus(before.wrapped, layout.wrapped), sqlRole(wrapper)));
      }
      await run(sql, grantRolesSql(layout.direct, account));
      await run(sql, revokeRolesSql(minus(granted, layout.direct), account));
      if (layout.wrapped.length === 0 && before.wrapped.length > 0) await sql.query(dropRoleSql(wrapper));
      if (flavor === 'mysql') await sql.query(defaultRoleSql(flavor, layout.defaults, dbUser));
      await sql.query(lockSql(dbUser, false));
      await sql.query(
        upsertUserSql(dbUser, {
          gatehouseUser: request.user,
          granted: layout.direct,
          wrapped: layout.wrapped,
          mode: request.plan.mode,
          state: 'active',
        }),
      );
      await sql.query(insertSessionSql(request.session.id, dbUser, this.#options.engineId));
      const held = (r: UserRow): string[] =>
        r.wrapped.length > 0 ? [...r.wrapped] : r.granted.filter((g) => g !== wrapper);
      return {
        dbUser,
        flavor,
        ownDefaultRole: flavor === 'mariadb' ? layout.defaults[0] : undefined,
        created: !exists,
        revoked: exists ? minus(held(before), request.plan.dbRoles) : [],
        unlocked: exists && before.state === 'locked',
      };
    });
  }

  /** Removes the session's row; locks or drops the user when no other session keeps it. */
  async #release(
    sql: AdminSql,
    dbUser: string,
    session: AuditSession,
    reason: 'session_end' | 'sweep',
  ): Promise<boolean> {
    const ended = await withUserLock(sql, dbUser, async () => {
      if (reason === 'session_end') await sql.query(deleteSessionSql(session.id));
      await sql.query(reapSessionsSql(dbUser));
      if ((await countOf(sql, countSessionsSql(dbUser))) > 0) return undefined;
      const row = readUserRow((await sql.query(selectUserSql(dbUser)))[0]);
      if (row === undefined || row.state === 'locked') return undefined;
      if (row.mode === 'drop') {
        await sql.query(dropUserSql(dbUser));
        if (row.wrapped.length > 0) await sql.query(dropRoleSql(wrapperRoleName(dbUser)));
        await sql.query(deleteUserSql(dbUser));
      } else {
        await sql.query(lockSql(dbUser, true));
        await sql.query(setStateSql(dbUser, 'locked'));
      }
      return row;
    });
    if (ended === undefined) return false;
    const db_roles = ended.wrapped.length > 0 ? [...ended.wrapped] : [...ended.granted];
    this.#options.audit.onCommand(session, {
      event: ended.mode === 'drop' ? 'db.user.drop' : 'db.user.lock',
      db_roles,
      reason,
    });
    return true;
  }
}
