// Assembles the parts a config enables into one process. The embedded default runs all three;
// a split deployment runs the same code with other config sections (DESIGN.md "Parts").
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  type AuditStore,
  type Authorities,
  auditWriterThread,
  type ClusterState,
  createAuditMetrics,
  openClusterState,
  type Store,
} from '@gatehouse/auth';
import { type GatehouseConfig, GatehouseError, type Logger } from '@gatehouse/common';
import { AuditAppendResponseSchema, ClusterMethod } from '@gatehouse/common/cluster';
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import {
  createEngine,
  createInProcessCluster,
  createTunnelCluster,
  type Engine,
  type HostCredentialKeeper,
  joinCluster,
  keepHostCredentials,
  loadHostCredentials,
  openAuditSpool,
} from '@gatehouse/engine';
import { type DatabaseListing, listEngines, type RunningProxy, startProxy } from '@gatehouse/proxy';
import type { Registry } from 'prom-client';
import { VERSION } from '../version.js';
import { createInProcessEngineCredentials } from './engine-credentials.js';
import { SNAPSHOT_INTERVAL_MS, writeRegistrySnapshot } from './registry-snapshot.js';
import { type OrphanSpoolDrain, startOrphanSpoolDrain } from './workers/orphan-spools.js';
import { type SessionWorkers, startSessionWorkers } from './workers/session-workers.js';
import { sessionWorkerPlan } from './workers/worker-count.js';
import { startWorkerTunnels, type WorkerTunnels } from './workers/worker-tunnels.js';
import { startWorkersEngineDiag } from './workers/workers-engine-diag.js';

export interface RunningServices {
  readonly proxy: RunningProxy | undefined;
  readonly engine: Engine | undefined;
  /** With proxy.workers / engine.workers above 1: the session workers (the engine runs in them). */
  readonly workers?: SessionWorkers | undefined;
  /** Drains and stops every part: the proxy stops accepting, sessions get `graceMs`. */
  close(graceMs: number): Promise<void>;
}

interface AuthPart {
  readonly authorities: Authorities;
  readonly store: Store;
  readonly auditStore: AuditStore;
  readonly state: ClusterState;
  readonly stopWatching: () => void;
}

/**
 * `registry`: where the audit store's metrics go. The auth part has no listener of its own;
 * with a proxy in the process (the only way it serves anyone) that is the proxy's registry.
 */
async function startAuth(
  config: Readonly<GatehouseConfig>,
  log: Logger,
  registry: Registry | undefined,
): Promise<AuthPart> {
  // `storage` picks files under data_dir (the default) or the PostgreSQL every auth part shares.
  const state = await openClusterState({ dataDir: config.data_dir, storage: config.storage });
  try {
    const { authorities } = await state.initAuthorities();
    const metrics = registry === undefined ? undefined : createAuditMetrics(registry);
    const writerThread = state.backend === 'file' && auditWriterThread(config.audit.writer_thread);
    const opened = await state.openAuditWriter({
      onRepair: (repair) => log.warn({ repair }, 'audit log tail repaired'),
      retentionMs: config.audit.retention,
      thread: writerThread,
      ...(metrics !== undefined ? { onGroupWritten: metrics.onGroupWritten } : {}),
    });
    const auditStore = metrics === undefined ? opened : metrics.instrument(opened);
    // A CA rotated by another auth process is picked up from its notification.
    const stopWatching = state.watchAuthorities(() => {
      authorities.reload().catch((err: unknown) => log.warn({ err }, 'could not reload the CAs'));
    });
    log.info({ storage: state.backend, where: state.where, auditWriterThread: writerThread }, 'auth state opened');
    return { authorities, store: state.store, auditStore, state, stopWatching };
  } catch (err) {
    await state.close();
    throw err;
  }
}

/**
 * Keeps <data_dir>/run/proxy-<id>.json current for `gatectl db ls`. A session worker passes
 * `fileId` (`<id>.w<i>`): each worker's registry is its own, and the reader merges them.
 */
export function startSnapshots(
  config: Readonly<GatehouseConfig>,
  proxy: RunningProxy,
  log: Logger,
  fileId?: string,
): () => void {
  const write = (): void => {
    writeRegistrySnapshot(
      config.data_dir,
      {
        proxyId: proxy.proxyId,
        pid: process.pid,
        updatedAt: new Date().toISOString(),
        databases: proxy.tunnel.registry.listDatabases().map((db: DatabaseListing) => ({
          name: db.name,
          engines: db.engines.map(({ backends, ...e }) => ({
            ...e,
            labels: { ...e.labels },
            ...(backends !== undefined ? { backends: backends.map((b) => ({ ...b })) } : {}),
          })),
        })),
        engines: listEngines(proxy.tunnel.registry.engines()).map((e) => ({
          ...e,
          addresses: [...e.addresses],
          databases: [...e.databases],
        })),
      },
      fileId,
    ).catch((err) => log.warn({ err }, 'could not write the registry snapshot'));
  };
  write();
  const timer = setInterval(write, SNAPSHOT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TTL_MS = 30_000;

/**
 * With a shared store, the proxy registers where engines reach its tunnel, and renews that
 * every 10 s; engines keep a tunnel to every registered proxy. Stopping removes the record.
 */
async function startProxyHeartbeat(
  config: Readonly<GatehouseConfig>,
  proxy: RunningProxy,
  store: Store,
  log: Logger,
): Promise<() => Promise<void>> {
  const tunnelAddr = config.proxy.tunnel_public_addr ?? `${config.proxy.public_addr[0]}:${proxy.webAddress.port}`;
  const beat = (): Promise<void> => store.registerProxy({ id: proxy.proxyId, tunnelAddr, ttlMs: HEARTBEAT_TTL_MS });
  await beat();
  log.info({ proxyId: proxy.proxyId, tunnelAddr }, 'proxy registered in the cluster');
  const timer = setInterval(() => {
    beat().catch((err: unknown) => log.warn({ err }, 'proxy heartbeat failed'));
  }, HEARTBEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await store.removeProxy(proxy.proxyId);
  };
}

/** The engine's write-ahead audit spool, in both shapes (docs/audit.md, "The engine's spool"). */
function openSpool(config: Readonly<GatehouseConfig>) {
  return openAuditSpool({ dir: join(config.data_dir, 'audit-spool'), sync: config.audit.spool_sync });
}

/** The certificates of a PEM bundle, one PEM each. */
export function splitPemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** An engine in its own process: its cluster is the proxies', over its tunnels. */
async function startTunnelEngine(
  config: Readonly<GatehouseConfig>,
  engineLog: Logger,
  engineConfig: GatehouseConfig['engine'],
  keeper: HostCredentialKeeper,
  engineRegistry: Registry | undefined,
): Promise<Engine> {
  const spool = await openSpool(config);
  let tunnelOf: Engine | undefined;
  const cluster = createTunnelCluster({
    request: (method, body) => {
      if (!tunnelOf)
        return Promise.reject(new GatehouseError('GH_ERR_TUNNEL_NOT_CONNECTED', 'the engine has no tunnel yet'));
      return tunnelOf.request(method, body);
    },
    spool,
    log: engineLog,
  });
  tunnelOf = await createEngine({
    config: engineConfig,
    log: engineLog,
    cluster,
    getCredentials: () => {
      const current = keeper.current();
      return { cert: current.cert, key: current.key, ca: current.ca };
    },
    // The host CA bundle the engine verifies proxies with (both CAs during a rotation).
    sessionTokenCas: () => splitPemCertificates(keeper.current().ca),
    version: VERSION,
    queryMaxBytes: config.audit.query_max_bytes,
    queryEvents: config.audit.query_events,
    ...(engineRegistry !== undefined ? { registry: engineRegistry } : {}),
    commandLatency: config.engine.command_latency_metrics,
  });
  return tunnelOf;
}

export async function runServices(config: Readonly<GatehouseConfig>, log: Logger): Promise<RunningServices> {
  if (!config.auth.enabled && !config.proxy.enabled && !config.engine.enabled) {
    throw new GatehouseError('GH_ERR_CONFIG', 'the config enables no part: set auth, proxy or engine enabled: true');
  }
  if (config.proxy.enabled && !config.auth.enabled) {
    throw new GatehouseError(
      'GH_ERR_CONFIG',
      'proxy.enabled needs auth.enabled in the same process: the proxy serves the auth API to engines',
    );
  }
  const plan = sessionWorkerPlan(config);
  // One registry per listener: the proxy's (with the auth part's metrics) and the engine's,
  // each with the process metrics, so either scrape describes the whole process.
  const proxyRegistry = config.proxy.enabled ? createMetricsRegistry() : undefined;
  const engineRegistry = config.engine.enabled ? createMetricsRegistry() : undefined;
  const auth = config.auth.enabled ? await startAuth(config, log.child({ part: 'auth' }), proxyRegistry) : undefined;
  let proxy: RunningProxy | undefined;
  let stopSnapshots: (() => void) | undefined;
  let stopHeartbeat: (() => Promise<void>) | undefined;
  let engine: Engine | undefined;
  let workers: SessionWorkers | undefined;
  let stopWorkersDiag: (() => Promise<void>) | undefined;
  let workerTunnels: WorkerTunnels | undefined;
  let orphans: OrphanSpoolDrain | undefined;
  let stopKeeper: (() => void) | undefined;
  try {
    if (auth && config.proxy.enabled) {
      const shared = auth.state.backend === 'postgres';
      // The split shape's proxy workers each take engine tunnels: the cluster state lists them.
      const proxyWorkers = plan.shape === 'proxy' && plan.count > 1;
      if (proxyWorkers) {
        workerTunnels = startWorkerTunnels(auth.store, config.proxy.name ?? `proxy-${hostname()}`, log);
      }
      // Workers first: the proxy hands them sockets as soon as it listens.
      if (plan.count > 1) {
        const tunnels = workerTunnels;
        workers = await startSessionWorkers({
          config,
          count: plan.count,
          shape: plan.shape,
          log: log.child({ part: 'workers' }),
          audit: auth.auditStore,
          ...(tunnels !== undefined ? { onTunnel: (index, addr) => tunnels.register(index, addr) } : {}),
        });
        if (plan.shape === 'one-process') {
          stopWorkersDiag = await startWorkersEngineDiag(config.engine.diag_listen, workers);
        }
      }
      proxy = await startProxy({
        config: config.proxy,
        authorities: auth.authorities,
        store: auth.store,
        audit: auth.auditStore,
        auditReview: auth.auditStore,
        log: log.child({ part: 'proxy' }),
        ...(config.proxy.name ? { proxyId: config.proxy.name } : {}),
        advertiseProxies: shared || proxyWorkers,
        ...(proxyRegistry !== undefined ? { registry: proxyRegistry } : {}),
        ...(workers !== undefined ? { workers: workers.proxyRole } : {}),
      });
      // With workers, the engines (and so the snapshot's databases) are theirs.
      if (workers === undefined) stopSnapshots = startSnapshots(config, proxy, log);
      // With workers of the split shape, the workers' tunnels are the proxies engines keep.
      if (shared && !proxyWorkers) stopHeartbeat = await startProxyHeartbeat(config, proxy, auth.store, log);
    }
    if (config.engine.enabled && workers === undefined) {
      const engineLog = log.child({ part: 'engine' });
      const engineId = config.engine.name ?? `engine-${hostname()}`;
      const engineConfig = { ...config.engine, name: engineId };
      if (auth) {
        // With the proxy here too, the tunnel is an in-memory link (no wss loop through the
        // loopback); otherwise the engine dials the proxy named by proxy_addr with a host cert.
        const tunnelRoute = proxy?.tunnel;
        const link =
          tunnelRoute === undefined
            ? { getCredentials: createInProcessEngineCredentials(auth.authorities, engineId, engineLog).get }
            : { connectInProcess: () => tunnelRoute.connectInProcess(engineId) };
        const spool = await openSpool(config);
        engine = await createEngine({
          config: engineConfig,
          log: engineLog,
          cluster: createInProcessCluster({ ...auth, spool, log: engineLog }),
          ...link,
          // Streams must carry a proxy's session token, signed under a host CA trusted now.
          sessionTokenCas: () => auth.authorities.trustedCas('host').map((ca) => ca.certificate),
          version: VERSION,
          queryMaxBytes: config.audit.query_max_bytes,
          queryEvents: config.audit.query_events,
          ...(engineRegistry !== undefined ? { registry: engineRegistry } : {}),
          commandLatency: config.engine.command_latency_metrics,
        });
        // Spools left by session workers of an earlier run (this one has none) go to the store.
        orphans = startOrphanSpoolDrain({
          config,
          send: async (events, read) => {
            await auth.auditStore.append(events, {
              validated: false,
              ...(read.canonical ? { canonical: read.canonical } : {}),
            });
          },
          log: engineLog,
        });
      } else {
        // An engine in its own process: join once with the token (or reuse the stored host
        // certificate), keep it renewed, and reach the auth part through the tunnel.
        const dir = join(config.data_dir, 'engine');
        const initial =
          (await loadHostCredentials(dir)) ??
          (await joinCluster({
            proxyAddr: config.engine.proxy_addr,
            token: config.engine.join.token,
            caPin: config.engine.join.ca_pin,
            engineId,
            dir,
          }));
        const keeper = keepHostCredentials(config.engine.proxy_addr, dir, initial, engineLog);
        stopKeeper = () => keeper.stop();
        if (plan.shape === 'engine' && plan.count > 1) {
          // Each worker is an engine of its own (tunnels, spool, sessions), registered as
          // <id>#<i>. They read the host certificate this process joined with (and renews) from
          // the data dir.
          workers = await startSessionWorkers({
            config,
            count: plan.count,
            shape: 'engine',
            log: log.child({ part: 'workers' }),
          });
          stopWorkersDiag = await startWorkersEngineDiag(config.engine.diag_listen, workers);
        } else {
          engine = await startTunnelEngine(config, engineLog, engineConfig, keeper, engineRegistry);
          const tunnelOf = engine;
          orphans = startOrphanSpoolDrain({
            config,
            send: async (events) => {
              AuditAppendResponseSchema.parse((await tunnelOf.request(ClusterMethod.AuditAppend, { events })).body);
            },
            log: engineLog,
          });
        }
      }
    }
  } catch (err) {
    stopKeeper?.();
    await orphans?.close().catch(() => {});
    await workerTunnels?.close().catch(() => {});
    await stopHeartbeat?.().catch(() => {});
    stopSnapshots?.();
    await engine?.close({ graceMs: 0 }).catch(() => {});
    await proxy?.close({ graceMs: 0 }).catch(() => {});
    await workers?.close(0).catch(() => {});
    await stopWorkersDiag?.().catch(() => {});
    await auth?.auditStore.close().catch(() => {});
    auth?.stopWatching();
    await auth?.state.close().catch(() => {});
    throw err;
  }

  return {
    proxy,
    engine,
    workers,
    async close(graceMs) {
      await stopHeartbeat?.().catch((err: unknown) => log.warn({ err }, 'could not remove the proxy registration'));
      await workerTunnels?.close();
      stopSnapshots?.();
      // The workers' last audit events reach the store before it closes.
      await Promise.all([proxy?.close({ graceMs }), engine?.close({ graceMs }), workers?.close(graceMs)]);
      await orphans?.close();
      stopKeeper?.();
      await stopWorkersDiag?.();
      await auth?.auditStore.close();
      auth?.stopWatching();
      await auth?.state.close();
    },
  };
}
