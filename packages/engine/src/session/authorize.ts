// Step 6 of the connection flow: the engine does not take the proxy's word for who the user is.
// It verifies the client's chain against the trusted user CAs (both during a rotation), the
// expiry and the locks, then evaluates the roles as they are now against this database, the db
// user and the db name. Every denial is an EngineError with ERR 1045 and a reason to show.
import {
  type AccessChecker,
  type AccessDecision,
  checkUnixPeers,
  createAccessChecker,
  createStatementRules,
  type DatabaseTarget,
  type DbUserPlan,
  type Identity,
  planDbUser,
  type Role,
  type SessionOptions,
  type StatementRules,
  verifyIdentity,
} from '@gatehouse/common';
import { ServerError } from '@gatehouse/mysql-protocol';
import type { StreamOpenHeader } from '@gatehouse/tunnel';
import { activeLock, type ClusterSnapshot, type EngineCluster } from '../cluster/engine-cluster.js';
import { EngineError } from '../errors.js';
import { readSessionExtensions } from './session-header.js';

export interface Authorization {
  readonly identity: Identity;
  readonly dbUser: string;
  readonly dbName: string;
  /** The roles the user holds now (the certificate's, still granted in the store). */
  readonly roles: readonly string[];
  readonly checker: AccessChecker;
  readonly decision: Extract<AccessDecision, { allowed: true }>;
  readonly options: SessionOptions;
  /** What each statement is checked against; undefined when the roles ask nothing of statements. */
  readonly statementRules: StatementRules | undefined;
  /** The automatic database user the granting roles ask for (create_db_user); undefined: none. */
  readonly dbUserPlan: DbUserPlan | undefined;
}

export interface AuthorizeInput {
  readonly header: StreamOpenHeader;
  readonly database: DatabaseTarget;
  readonly snapshot: ClusterSnapshot;
  readonly now?: Date;
  /**
   * The db user and db name exactly as asked, with no fallback to the certificate's: a
   * COM_CHANGE_USER names both (an empty schema means none).
   */
  readonly route?: { readonly dbUser: string; readonly dbName: string };
}

function deny(message: string): EngineError {
  return new EngineError('GH_ERR_ENGINE_ACCESS_DENIED', message, ServerError.AccessDenied);
}

/** Throws IdentityError for a bad certificate or a lock, EngineError for a role denial. */
export async function authorizeSession(input: AuthorizeInput): Promise<Authorization> {
  const { header, database, snapshot } = input;
  const now = input.now ?? new Date();
  const identity = await verifyIdentity(header.clientCertChain, {
    trusted: snapshot.userCas,
    now,
    lookupLock: (user) => activeLock(snapshot, user, now),
  });
  const user = identity.user;
  if (identity.route.dbService !== database.name) {
    throw deny(`certificate of user '${user}' is for database '${identity.route.dbService}', not '${database.name}'`);
  }
  const record = snapshot.users.get(user);
  if (record === undefined) throw deny(`user '${user}' does not exist any more`);
  const granted = new Set(record.roles);
  const roles: Role[] = [];
  const roleNames: string[] = [];
  for (const name of identity.roles) {
    const role = snapshot.roles.get(name);
    if (role !== undefined && granted.has(name)) {
      roles.push(role);
      roleNames.push(name);
    }
  }
  if (roles.length === 0) throw deny(`user '${user}' holds none of the certificate's roles any more`);
  const dbUser = input.route?.dbUser ?? (header.route.dbUser || identity.route.dbUser || '');
  const dbName = input.route?.dbName ?? (header.route.dbName || identity.route.dbName || '');
  if (dbUser.length === 0) {
    throw deny(`no db user for user '${user}': name one in the certificate (--db-user) or as the client's user name`);
  }
  const checker = createAccessChecker({
    roles,
    user,
    traits: { db_users: [...identity.traits.dbUsers], db_names: [...identity.traits.dbNames] },
  });
  const decision = checker.checkAccess({ db: database, dbUser, dbName });
  if (!decision.allowed) {
    throw deny(
      `access denied for user '${user}' (db user '${dbUser}', database '${database.name}'): ${decision.reason}`,
    );
  }
  // A role may further require who the client is on the proxy's host (unix_peers): checked
  // after the certificate and the role's other rules, never instead of them.
  const granting = new Set(decision.roles);
  const unixRules = roles.map((r) => ({ name: r.name, allow: r.allow?.unix_peers, deny: r.deny?.unix_peers }));
  if (unixRules.some((r) => r.allow !== undefined || r.deny !== undefined)) {
    const peer = readSessionExtensions(header).unixPeer;
    const verdict = checkUnixPeers(
      unixRules,
      unixRules.filter((r) => granting.has(r.name)),
      peer,
    );
    if (!verdict.allowed)
      throw deny(`access denied for user '${user}' (database '${database.name}'): ${verdict.reason}`);
  }
  return {
    identity,
    dbUser,
    dbName,
    roles: roleNames,
    checker,
    decision,
    options: checker.sessionOptions,
    statementRules: createStatementRules(roles, decision.roles),
    dbUserPlan: planDbUser(roles, decision.roles),
  };
}

/**
 * authorizeSession against the cluster's state. The state is polled, so a user, grant or CA
 * added a moment ago may be missing from it: a refusal re-reads once, and stands with its first
 * reason if nothing changed.
 */
export async function authorizeCurrent(
  cluster: Pick<EngineCluster, 'snapshot' | 'refresh'>,
  input: Omit<AuthorizeInput, 'snapshot'>,
): Promise<Authorization> {
  const snapshot = await cluster.snapshot();
  return authorizeSession({ ...input, snapshot }).catch(async (err: unknown) => {
    const fresh = await cluster.refresh().catch(() => snapshot);
    if (fresh.version === snapshot.version) throw err;
    return authorizeSession({ ...input, snapshot: fresh });
  });
}
