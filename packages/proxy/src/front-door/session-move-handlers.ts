// The proxy's side of a live migration (docs/migration.md): the engine a session is on asks,
// over its tunnel, to pause the client's bytes (and learns how many it was sent), to resume them,
// or to move the session to another engine with a handoff. Only the engine that carries a
// session may ask for it; any other gets "not found".

import { GatehouseError } from '@gatehouse/common';
import type { SessionHandoff } from '@gatehouse/common/cluster';
import {
  ClusterMethod,
  SessionMoveRequestSchema,
  type SessionMoveResponse,
  SessionPauseRequestSchema,
} from '@gatehouse/common/cluster';
import type { Logger } from 'pino';
import { parseRequestBody } from '../cluster/parse-request-body.js';
import type { EngineRequestHandler } from '../tunnel/index.js';
import type { LiveConnection } from './session-context.js';

/** What a client connection offers a migration (ClientConnection). */
export interface MigratableConnection extends LiveConnection {
  pauseForMigration(): number | undefined;
  resumeAfterMigration(): void;
  moveTo(handoff: SessionHandoff, fromEngineId: string): Promise<SessionMoveResponse>;
}

export function createSessionMoveHandlers(options: {
  readonly connections: () => Iterable<LiveConnection>;
  readonly log: Logger;
}): Map<string, EngineRequestHandler> {
  const find = (sessionId: string, engineId: string): MigratableConnection => {
    for (const c of options.connections()) {
      if (c.session?.sessionId !== sessionId || !('moveTo' in c)) continue;
      // Only the engine the session runs on may pause or move it.
      if (c.session.engineId !== engineId) break;
      return c as MigratableConnection;
    }
    throw new GatehouseError('GH_ERR_TUNNEL_PROTOCOL', `no session ${sessionId} on engine ${engineId} at this proxy`);
  };
  const handlers = new Map<string, EngineRequestHandler>();
  handlers.set(ClusterMethod.SessionPause, (engine, request) => {
    const { sessionId } = parseRequestBody(SessionPauseRequestSchema, request.body, ClusterMethod.SessionPause);
    const sent = find(sessionId, engine.engineId).pauseForMigration();
    if (sent === undefined) throw new GatehouseError('GH_ERR_TUNNEL_PROTOCOL', `session ${sessionId} is not relaying`);
    return { body: { sent } };
  });
  handlers.set(ClusterMethod.SessionResume, (engine, request) => {
    const { sessionId } = parseRequestBody(SessionPauseRequestSchema, request.body, ClusterMethod.SessionResume);
    find(sessionId, engine.engineId).resumeAfterMigration();
    return { body: {} };
  });
  handlers.set(ClusterMethod.SessionMove, async (engine, request) => {
    const { sessionId, handoff } = parseRequestBody(SessionMoveRequestSchema, request.body, ClusterMethod.SessionMove);
    const body = await find(sessionId, engine.engineId).moveTo(handoff, engine.engineId);
    options.log.info({ sessionId, from: engine.engineId, ...body }, 'session migration');
    return { body };
  });
  return handlers;
}
