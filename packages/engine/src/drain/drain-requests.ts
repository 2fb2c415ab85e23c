// Carries out `gatectl engine drain ID` on this engine: the request reaches every engine in the
// cluster state (docs/migration.md "Draining an engine"); the one it names drains and writes the
// `engine.drain` audit event through its spool. A request made before this engine started is
// for an earlier run of it and is ignored, as is one already carried out.
import type { Audit, AuditSession } from '@gatehouse/common';
import type { EngineDrain } from '@gatehouse/common/cluster';
import type { Logger } from 'pino';
import type { ClusterSnapshot, EngineCluster } from '../cluster/engine-cluster.js';

/** What the watcher needs of the engine: its state and its drain. */
export interface DrainControl {
  readonly state: 'serving' | 'draining';
  /** Stops taking new sessions (and moves the live ones); a second call changes nothing. */
  drain(reason: string): Promise<unknown>;
}

export interface DrainRequestOptions {
  /** This engine's id; a session worker's `ID#i` acts on requests for `ID` too. */
  readonly engineId: string;
  /** When this engine started: older requests are ignored. */
  readonly startedAt: Date;
  readonly cluster: Pick<EngineCluster, 'onChange'>;
  readonly control: DrainControl;
  readonly audit: Pick<Audit, 'onCommand'>;
  /** The databases the engine serves now, for the audit event. */
  readonly databases: () => readonly string[];
  readonly log: Logger;
}

/** The engine an id names, without a session worker's suffix (`engine-a#1` → `engine-a`). */
export function baseEngineId(engineId: string): string {
  const m = /^(.+)#\d{1,3}$/.exec(engineId);
  return m ? m[1]! : engineId;
}

/** The requests in `snapshot` this engine should act on, oldest first. */
export function drainRequestsFor(
  snapshot: Pick<ClusterSnapshot, 'drains'>,
  engineId: string,
  startedAt: Date,
): EngineDrain[] {
  const names = new Set([engineId, baseEngineId(engineId)]);
  return (snapshot.drains ?? [])
    .filter((d) => names.has(d.name) && Date.parse(d.requested) >= startedAt.getTime())
    .sort((a, b) => Date.parse(a.requested) - Date.parse(b.requested));
}

function drainSession(engineId: string, drain: EngineDrain): AuditSession {
  return {
    id: `drain-${drain.id}`,
    user: drain.by,
    roles: [],
    dbService: '',
    dbUser: '',
    dbName: '',
    clientAddr: '',
    engineId,
    proxyId: '',
    clientAttributes: {},
  };
}

/** Watches the cluster state for drain requests; returns the unsubscribe function. */
export function watchDrainRequests(options: DrainRequestOptions): () => void {
  const { engineId, control, log } = options;
  const handled = new Set<string>();
  return options.cluster.onChange((snapshot) => {
    for (const drain of drainRequestsFor(snapshot, engineId, options.startedAt)) {
      if (handled.has(drain.id)) continue;
      handled.add(drain.id);
      const alreadyDraining = control.state === 'draining';
      options.audit.onCommand(drainSession(engineId, drain), {
        event: 'engine.drain',
        request_id: drain.id,
        requested_at: drain.requested,
        reason: drain.reason,
        databases: [...options.databases()],
        already_draining: alreadyDraining,
      });
      log.info({ requestId: drain.id, by: drain.by, reason: drain.reason, alreadyDraining }, 'drain requested');
      control.drain(drain.reason).catch((err: unknown) => log.error({ err, requestId: drain.id }, 'drain failed'));
    }
  });
}
