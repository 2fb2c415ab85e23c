// The Live page: sessions relaying through this proxy now, and ending one. The engine that runs
// the session closes it (as it does for a lock), so the client reads an ERR that names the
// auditor and the reason; if that engine cannot be reached, the proxy cuts the client off
// itself. Either way the act is an audit event.
import { randomUUID } from 'node:crypto';
import type { AuditStore } from '@gatehouse/auth';
import { type AuditEvent, auditEventCode, GatehouseError } from '@gatehouse/common';
import { ClusterMethod, SessionTerminateResponseSchema } from '@gatehouse/common/cluster';
import type { Logger } from 'pino';
import type { LiveConnection, LiveSession } from '../front-door/session-context.js';
import type { EngineRegistry } from '../tunnel/index.js';

export interface LiveSessionsDeps {
  readonly proxyId: string;
  readonly connections: () => Iterable<LiveConnection>;
  readonly registry: Pick<EngineRegistry, 'engines'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly log: Logger;
}

/**
 * Where the Live page's sessions are when they are not this process's own: a supervisor of
 * session workers asks its workers (docs/architecture.md "Session workers").
 */
export interface LiveSessionsSource {
  list(): Promise<LiveSessionView[]>;
  /** Ends the session in the worker that runs it (GH_ERR_WEB_SESSION_NOT_FOUND if none does). */
  terminate(sid: string, by: string, reason: string): Promise<{ readonly via: 'engine' | 'proxy' }>;
}

export interface LiveSessionView {
  readonly sid: string;
  readonly user: string;
  readonly db_service: string;
  readonly db_user: string;
  readonly db_name: string;
  readonly engine_id: string;
  readonly client_addr: string;
  readonly program: string;
  readonly started: string;
}

function view(s: LiveSession): LiveSessionView {
  return {
    sid: s.sessionId,
    user: s.user,
    db_service: s.dbService,
    db_user: s.dbUser,
    db_name: s.dbName,
    engine_id: s.engineId,
    client_addr: s.clientAddr,
    program: s.program,
    started: s.startedAt.toISOString(),
  };
}

export function listLiveSessions(deps: Pick<LiveSessionsDeps, 'connections'>): LiveSessionView[] {
  const out: LiveSessionView[] = [];
  for (const c of deps.connections()) if (c.phase === 'relay' && c.session !== undefined) out.push(view(c.session));
  return out.sort((a, b) => a.started.localeCompare(b.started));
}

const ENGINE_TIMEOUT_MS = 5_000;

/** Ends live session `sid` for auditor `by`; resolves once the act is in the audit log. */
export async function terminateLiveSession(
  deps: LiveSessionsDeps,
  sid: string,
  by: string,
  reason: string,
): Promise<{ readonly via: 'engine' | 'proxy' }> {
  let connection: LiveConnection | undefined;
  for (const c of deps.connections()) if (c.session?.sessionId === sid) connection = c;
  const session = connection?.session;
  if (connection === undefined || session === undefined) {
    throw new GatehouseError('GH_ERR_WEB_SESSION_NOT_FOUND', `no live session '${sid}' on this proxy`);
  }
  let via: 'engine' | 'proxy' = 'proxy';
  const engine = deps.registry.engines().find((e) => e.engineId === session.engineId);
  if (engine !== undefined) {
    try {
      const reply = await engine.connection.request(
        ClusterMethod.SessionTerminate,
        { sessionId: sid, by, reason },
        undefined,
        ENGINE_TIMEOUT_MS,
      );
      if (SessionTerminateResponseSchema.parse(reply.body).found) via = 'engine';
    } catch (err) {
      deps.log.warn({ err, sessionId: sid, engineId: session.engineId }, 'engine did not terminate the session');
    }
  }
  if (via === 'proxy') connection.close();
  const event: AuditEvent = {
    uid: randomUUID(),
    time: new Date().toISOString(),
    event: 'db.session.terminate',
    code: auditEventCode('db.session.terminate', true),
    sid,
    user: session.user,
    roles: [...session.roles],
    db_service: session.dbService,
    db_user: session.dbUser,
    db_name: session.dbName,
    client_addr: session.clientAddr,
    engine_id: session.engineId,
    proxy_id: deps.proxyId,
    terminated_by: by,
    reason,
  };
  await deps.audit.append([event]);
  deps.log.info({ sessionId: sid, by, via }, 'session terminated by an auditor');
  return { via };
}
