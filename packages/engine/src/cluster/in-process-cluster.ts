// The cluster for the embedded default: the auth part's objects are in this process, so the
// engine reads the store and the CAs directly, asks the PKI to sign, and appends audit events to
// the store itself, through the same write-ahead spool as an engine in its own process, so a
// killed process loses no event of an answered command. State is re-read whenever the store's version changes (and the CAs on a timer).
import { type AuditStore, type Authorities, issueDbClientCert, type Store } from '@gatehouse/auth';
import { ServerError } from '@gatehouse/mysql-protocol';
import type { Logger } from 'pino';
import type { AuditSpool } from '../audit/spool.js';
import { startSpoolPipeline } from '../audit/spool-pipeline.js';
import { EngineError } from '../errors.js';
import type { ClusterSnapshot, EngineCluster } from './engine-cluster.js';

export interface InProcessClusterOptions {
  readonly store: Store;
  readonly authorities: Authorities;
  /** Where spooled events go: the auth part's store, or (a session worker) its supervisor's. */
  readonly auditStore: Pick<AuditStore, 'append'>;
  /** The engine's write-ahead spool; events reach the store from it. */
  readonly spool: AuditSpool;
  readonly log: Logger;
  /** How often the store and the CAs are re-read (default 2 s). */
  readonly pollMs?: number;
}

export function createInProcessCluster(options: InProcessClusterOptions): EngineCluster {
  const { store, authorities, log } = options;
  const listeners = new Set<(snapshot: ClusterSnapshot) => void>();
  let current: ClusterSnapshot | undefined;
  let refreshing: Promise<ClusterSnapshot> | undefined;
  let closed = false;

  const load = async (): Promise<ClusterSnapshot> => {
    await authorities.reload();
    const cas = authorities.trustedCas('user');
    const storeVersion = await store.version();
    const version = `${storeVersion}/${cas.map((c) => c.fingerprint).join(',')}`;
    if (current !== undefined && current.version === version) return current;
    const [roles, users, locks, drains] = await Promise.all([
      store.listRoles(),
      store.listUsers(),
      store.listActiveLocks(),
      store.listEngineDrains(),
    ]);
    const next: ClusterSnapshot = {
      version,
      userCas: cas,
      roles: new Map(roles.map((r) => [r.name, r])),
      users: new Map(users.map((u) => [u.name, u])),
      locks: new Map(locks.map((l) => [l.target.user, l])),
      drains,
    };
    current = next;
    for (const listener of listeners) listener(next);
    return next;
  };

  const refresh = (): Promise<ClusterSnapshot> => {
    refreshing ??= load().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const poll = setInterval(() => {
    refresh().catch((err) => log.warn({ err }, 'cluster state refresh failed'));
  }, options.pollMs ?? 2000);
  poll.unref();
  const watch = store.watch(() => {
    if (!closed) refresh().catch((err) => log.warn({ err }, 'cluster state refresh failed'));
  });

  const audit = startSpoolPipeline({
    spool: options.spool,
    // Built by this process's own audit layer: nothing to validate at a trust boundary, unless
    // they were read back from the file (written by an earlier run). The spool's canonical
    // text goes along, so the store chains the bytes the spool wrote instead of serializing again.
    send: async (events, read) => {
      await options.auditStore.append(events, { validated: read.fromMemory, canonical: read.canonical });
    },
    log,
    // The store closes after the engine: hand it what is spooled while it is still open.
    drainOnCloseMs: 5000,
  });

  return {
    auditSink: audit.sink,
    auditGate: audit.sink,
    auditMetrics: audit.metrics,
    async snapshot() {
      if (current !== undefined) return current;
      try {
        return await refresh();
      } catch (err) {
        throw new EngineError(
          'GH_ERR_ENGINE_CLUSTER',
          'cannot read the cluster state from the data directory',
          ServerError.UnknownError,
          { cause: err },
        );
      }
    },
    refresh,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async signDbClient(request) {
      try {
        const issued = await issueDbClientCert(await authorities.signer('db-client'), request);
        return { certificate: issued.certificate, privateKey: issued.privateKey, notAfter: issued.notAfter };
      } catch (err) {
        throw new EngineError(
          'GH_ERR_ENGINE_CLUSTER',
          `cannot issue a db-client certificate for '${request.dbUser}'`,
          ServerError.UnknownError,
          { cause: err },
        );
      }
    },
    async close() {
      closed = true;
      clearInterval(poll);
      watch.close();
      await audit.close();
    },
  };
}
