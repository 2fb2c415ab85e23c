// disconnect_unavailable: after each monitor round, the sessions on a backend that went down or
// changed role (a primary turned read-only in a failover) are closed with an ERR that says so,
// once their current reply is over. Sessions do not migrate to another backend: the client
// reconnects and is routed again.
import type { DatabaseConfig } from '@gatehouse/common';
import type { ErrFields } from '@gatehouse/mysql-protocol';
import type { BackendInfo, DatabaseInfo } from '@gatehouse/tunnel';
import { EngineMysqlError } from '../errors.js';

/** Why a session that logged in to `then` should close now that the backend is `now`, if it should. */
export function unavailableReason(dbService: string, then: BackendInfo, now: BackendInfo): string | undefined {
  if (now.health === 'unhealthy') {
    return `backend ${now.uri} of database '${dbService}' became unavailable (${now.healthMessage ?? 'health check failed'}); reconnect to be routed to another backend`;
  }
  if (then.role !== 'unknown' && now.role !== 'unknown' && then.role !== now.role) {
    const why = now.readOnly === true && then.role === 'primary' ? ' (read_only=1)' : '';
    return `backend ${now.uri} of database '${dbService}' changed role from ${then.role} to ${now.role}${why}; reconnect to be routed to the ${then.role}`;
  }
  return undefined;
}

export interface RoutedSession {
  readonly dbService: string;
  readonly backend: BackendInfo | undefined;
  close(err: ErrFields): void;
}

/** Closes every session that unavailableReason condemns, for databases that ask for it. */
export function closeUnavailableSessions(
  sessions: Iterable<RoutedSession>,
  infos: readonly DatabaseInfo[],
  config: ReadonlyMap<string, DatabaseConfig>,
  closed: WeakSet<RoutedSession>,
): void {
  const byName = new Map(infos.map((i) => [i.name, i]));
  for (const session of sessions) {
    const then = session.backend;
    if (then === undefined || closed.has(session)) continue;
    if (config.get(session.dbService)?.routing.disconnect_unavailable !== true) continue;
    const now = byName.get(session.dbService)?.backends?.find((b) => b.uri === then.uri);
    if (now === undefined) continue;
    const reason = unavailableReason(session.dbService, then, now);
    if (reason === undefined) continue;
    closed.add(session);
    session.close({ ...EngineMysqlError.ConnectionKilled, message: reason });
  }
}
