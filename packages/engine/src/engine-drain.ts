// Draining an engine by live migration (docs/migration.md): every session (or every session of
// one database, when this engine lost it) is moved to a peer engine serving the same database,
// each at a point where it is migratable. A session that cannot move within migration.wait is
// closed with an ERR that says why, and counted by that reason.
import { ServerError } from '@gatehouse/mysql-protocol';
import type { Logger } from 'pino';
import type { EngineMetrics } from './diag/metrics.js';
import type { SessionHandle } from './session/session.js';

/** What an engine is doing with sessions: taking new ones, or moving its own away. */
export type EngineState = 'serving' | 'draining';

export interface DrainContext {
  readonly engineId: string;
  readonly sessions: () => Iterable<SessionHandle>;
  /** migration.wait: how long one session is waited for. */
  readonly waitMs: number;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
}

export interface DrainSummary {
  readonly migrated: number;
  /** Sessions closed because they could not move, by reason. */
  readonly closed: Readonly<Record<string, number>>;
  /** Sessions that ended by themselves while they were waited for. */
  readonly ended: number;
}

/**
 * Moves the sessions `which` selects (default: all); resolves when each one has moved, ended,
 * or been closed at its deadline.
 */
export async function drainSessions(
  ctx: DrainContext,
  reason: string,
  which: (s: SessionHandle) => boolean = () => true,
  options: {
    /**
     * Which sessions that did not move are closed: 'all' (a drain), 'except_no_peer' keeps those
     * with no peer at all for the caller's grace period (a graceful stop), 'none' closes nothing
     * (this engine lost the database: the sessions may still work).
     */
    readonly close?: 'all' | 'except_no_peer' | 'none';
  } = {},
): Promise<DrainSummary> {
  const deadline = Date.now() + ctx.waitMs;
  const closed: Record<string, number> = {};
  let migrated = 0;
  let ended = 0;
  const targets = [...ctx.sessions()].filter(which);
  ctx.log.info({ sessions: targets.length, reason, waitMs: ctx.waitMs }, 'draining sessions by live migration');
  await Promise.all(
    targets.map(async (session) => {
      let result: Awaited<ReturnType<SessionHandle['migrate']>>;
      try {
        result = await session.migrate({ reason, deadline });
      } catch (err) {
        ctx.log.warn({ err, sessionId: session.id }, 'migrating a session failed');
        result = { moved: false, reason: 'peer_failed', message: `the move failed: ${(err as Error).message}` };
      }
      if (result.moved) {
        migrated++;
        ctx.metrics.recordMigration(session.dbService);
        return;
      }
      if (result.reason === 'ended') {
        ended++;
        return;
      }
      closed[result.reason] = (closed[result.reason] ?? 0) + 1;
      ctx.metrics.recordMigration(session.dbService, result.reason);
      const close = options.close ?? 'all';
      // Stopping with no peer to move to: the caller's own grace period applies, as before.
      if (close === 'none' || (close === 'except_no_peer' && result.reason === 'no_peer')) return;
      session.close({
        ...ServerError.ServerShutdown,
        message: `${result.message} during engine drain: engine ${ctx.engineId} (${reason}) could not move this session to another engine within ${Math.round(ctx.waitMs / 1000)} s; reconnect`,
      });
      await session.done;
    }),
  );
  const summary = { migrated, closed, ended };
  ctx.log.info(summary, 'drain done');
  return summary;
}
