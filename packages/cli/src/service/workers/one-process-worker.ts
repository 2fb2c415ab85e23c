// A session worker of the one-process shape: a proxy front door that binds nothing and runs the
// client sockets its supervisor hands it, and an engine joined to it in memory. It reads the
// cluster state itself (the store and the CAs, live, like any auth reader), so locks and role
// changes reach it directly; its audit events go through its own spool to the supervisor.
import { hostname } from 'node:os';
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import { createEngine, createInProcessCluster } from '@gatehouse/engine';
import { startProxy } from '@gatehouse/proxy';
import { startSnapshots } from '../run-services.js';
import { openWorkerSpool, startOrphanSpoolDrain } from './orphan-spools.js';
import { openWorkerState, type WorkerContext, type WorkerParts, workerEngineOptions } from './worker-parts.js';

export async function startOneProcessWorker(context: WorkerContext): Promise<WorkerParts> {
  const { config, log, audit, start } = context;
  const { index, count } = start;
  const cluster = await openWorkerState(config, log);
  const { state, authorities } = cluster;
  const proxyRegistry = createMetricsRegistry();
  const engineRegistry = createMetricsRegistry();
  const proxy = await startProxy({
    config: config.proxy,
    authorities,
    store: state.store,
    audit,
    log: log.child({ part: 'proxy' }),
    ...(config.proxy.name ? { proxyId: config.proxy.name } : {}),
    registry: proxyRegistry,
    workers: { role: 'worker', firstConnectionId: index + 1, step: count, ticketKey: start.ticketKey },
  });
  const engineLog = log.child({ part: 'engine' });
  const engineId = config.engine.name ?? `engine-${hostname()}`;
  const spool = await openWorkerSpool(config, index);
  const engine = await createEngine({
    config: { ...config.engine, name: engineId },
    log: engineLog,
    cluster: createInProcessCluster({ store: state.store, authorities, auditStore: audit, spool, log: engineLog }),
    connectInProcess: () => proxy.tunnel.connectInProcess(engineId),
    ...workerEngineOptions(config, engineRegistry),
  });
  // Spools of worker indexes this run does not have (the count was lowered) go to the store too.
  const orphans = startOrphanSpoolDrain({
    config,
    index,
    count,
    send: async (events, read) => {
      await audit.append(events, { validated: false, ...(read.canonical ? { canonical: read.canonical } : {}) });
    },
    log: engineLog,
  });
  // `gatectl db ls` merges one snapshot per worker: each registry is the worker's own.
  const stopSnapshots = startSnapshots(config, proxy, log, `${proxy.proxyId}.w${index}`);
  return {
    proxy,
    engine,
    proxyRegistry,
    engineRegistry,
    async close(graceMs) {
      stopSnapshots();
      await Promise.all([proxy.close({ graceMs }), engine.close({ graceMs })]);
      await orphans.close();
      await cluster.close();
    },
  };
}
