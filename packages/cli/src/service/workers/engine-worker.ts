// A session worker of the split shape's engine process: an engine with its own tunnels to every
// proxy (worker) of the cluster and its own spool, registered as `<engine id>#<index>` so the
// proxies keep each worker's tunnel apart. The supervisor joined the cluster and keeps the host
// certificate renewed on disk; a worker reads it from there at each dial. Its audit events go
// over its own tunnels to the proxies' one writer. docs/scale-out.md "Workers in the split shape".
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GatehouseError } from '@gatehouse/common';
import { AuditAppendResponseSchema, ClusterMethod } from '@gatehouse/common/cluster';
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import { createEngine, createTunnelCluster, type Engine, loadHostCredentials } from '@gatehouse/engine';
import { splitPemCertificates } from '../run-services.js';
import { openWorkerSpool, startOrphanSpoolDrain } from './orphan-spools.js';
import { type WorkerContext, type WorkerParts, workerEngineOptions } from './worker-parts.js';

export async function startEngineWorker(context: WorkerContext): Promise<WorkerParts> {
  const { config, log, start } = context;
  const { index, count } = start;
  const dir = join(config.data_dir, 'engine');
  let credentials = await loadHostCredentials(dir);
  if (credentials === undefined)
    throw new GatehouseError(
      'GH_ERR_WORKER',
      `no host certificate in ${dir}: the supervisor joins before its workers start`,
    );
  // Renewals land on disk (the supervisor's keeper): read at each dial, the last good one kept.
  const readCredentials = async () => {
    credentials = (await loadHostCredentials(dir).catch(() => undefined)) ?? credentials!;
    return { cert: credentials.cert, key: credentials.key, ca: credentials.ca };
  };
  const engineRegistry = createMetricsRegistry();
  const engineLog = log.child({ part: 'engine' });
  const engineId = `${config.engine.name ?? `engine-${hostname()}`}#${index}`;
  const spool = await openWorkerSpool(config, index);
  let tunnelOf: Engine | undefined;
  const request = (method: string, body: unknown) => {
    if (!tunnelOf)
      return Promise.reject(new GatehouseError('GH_ERR_TUNNEL_NOT_CONNECTED', 'the engine has no tunnel yet'));
    return tunnelOf.request(method, body);
  };
  const engine = await createEngine({
    config: { ...config.engine, name: engineId },
    log: engineLog,
    cluster: createTunnelCluster({ request, spool, log: engineLog }),
    getCredentials: readCredentials,
    sessionTokenCas: () => splitPemCertificates(credentials!.ca),
    ...workerEngineOptions(config, engineRegistry),
  });
  tunnelOf = engine;
  const orphans = startOrphanSpoolDrain({
    config,
    index,
    count,
    send: async (events) => {
      AuditAppendResponseSchema.parse((await request(ClusterMethod.AuditAppend, { events })).body);
    },
    log: engineLog,
  });
  return {
    proxy: undefined,
    engine,
    proxyRegistry: undefined,
    engineRegistry,
    async close(graceMs) {
      await engine.close({ graceMs });
      await orphans.close();
    },
  };
}
