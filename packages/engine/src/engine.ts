// The engine service: owns the tunnel client, the health checks, the diagnostics server and the
// sessions. Streams for a database it serves become sessions; others are rejected so the proxy
// tries another engine. close({ graceMs }) drains: no new streams, open sessions move to a peer
// engine by live migration (engine-drain.ts, within migration.wait); what could not move gets
// the grace, then is closed with an ERR that says the engine is shutting down.
import { hostname } from 'node:os';
import { createAudit, type DatabaseConfig, type EngineConfig } from '@gatehouse/common';
import { ClusterMethod, SessionTerminateRequestSchema } from '@gatehouse/common/cluster';
import {
  certExpiryGauge,
  createMetricsRegistry,
  diagAddressOf,
  metricsSourceOf,
  startDiagServer,
} from '@gatehouse/common/metrics';
import { ServerError } from '@gatehouse/mysql-protocol';
import { type DatabaseInfo, type InMemoryTunnelEnd, type TunnelReply, TunnelStream } from '@gatehouse/tunnel';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { registerSpoolMetrics } from './audit/spool-metrics.js';
import { closeUnavailableSessions, type RoutedSession } from './backends/unavailable.js';
import { createDbClientCertCache } from './cluster/db-client-cert-cache.js';
import type { EngineCluster } from './cluster/engine-cluster.js';
import { DbUserManagers } from './db-users/db-user-managers.js';
import { registerBackendMetrics, registerHookMetrics } from './diag/backend-metrics.js';
import { EngineMetrics } from './diag/metrics.js';
import { registerDrainMetrics } from './drain/drain-metrics.js';
import { watchDrainRequests } from './drain/drain-requests.js';
import { type DrainSummary, drainSessions, type EngineState } from './engine-drain.js';
import { EngineMysqlError } from './errors.js';
import { type HealthChecker, startHealthChecker } from './health/health-checker.js';
import { createHookRunner, type HookRunner } from './hooks/hook-runner.js';
import type { AuditSwitches } from './session/command-audit.js';
import { type SessionHandle, type SessionStream, startSession } from './session/session.js';
import { createSessionTokenCheck } from './session/session-token-check.js';
import { ThreadRegistry } from './session/thread-registry.js';
import { createProxyPool, type ProxyPool } from './tunnel/proxy-pool.js';
import { createTunnelClient, type TunnelClient, type TunnelCredentials } from './tunnel/tunnel-client.js';

export interface CreateEngineOptions {
  readonly config: EngineConfig;
  readonly log: Logger;
  readonly cluster: EngineCluster;
  /** The engine's host identity for tunnel mTLS; without it no tunnel is dialled (streams come through handleStream). */
  readonly getCredentials?: () => TunnelCredentials | Promise<TunnelCredentials>;
  /**
   * The proxy is in this same process (TunnelServer.connectInProcess): the tunnel is an in-memory
   * link, with no socket or TLS, and `getCredentials` and `tunnelUrl` are not needed.
   */
  readonly connectInProcess?: () => InMemoryTunnelEnd;
  /** Default wss://<proxy_addr>/v1/tunnel. */
  readonly tunnelUrl?: string;
  readonly version?: string;
  /** Serve /healthz, /readyz, /metrics on config.diag_listen (default true). */
  readonly diag?: boolean;
  /** Bound on the audit query text (config audit.query_max_bytes). */
  readonly queryMaxBytes?: number;
  /** config audit.query_events (default true): query and statement events. */
  readonly queryEvents?: boolean;
  /**
   * Where the engine's metrics go (default: a registry of its own with the process metrics).
   * A process with more parts passes one per part; see docs/metrics.md for workers.
   */
  readonly registry?: Registry;
  /** Time every command for the latency histogram (default true; the bench compares off). */
  readonly commandLatency?: boolean;
  /**
   * PEMs of the host CAs trusted now: every stream must then carry a proxy's session token
   * signed with a host certificate one of them issued (docs/migration.md). Absent: not checked.
   */
  readonly sessionTokenCas?: () => readonly string[];
}

export interface Engine {
  readonly engineId: string;
  /** The first tunnel client (to proxy_addr), when one was configured. */
  readonly tunnel: TunnelClient | undefined;
  /** Every tunnel by proxy address: one per live proxy once the cluster state lists them. */
  readonly tunnels: ReadonlyMap<string, TunnelClient>;
  /** A control request to the cluster over any connected tunnel. */
  request(method: string, body: unknown): Promise<TunnelReply>;
  /** The diagnostics server's address, once listening. */
  readonly diagAddress: string | undefined;
  /** Starts a session for a stream (the tunnel calls this; tests may too). */
  handleStream(stream: SessionStream): void;
  databases(): readonly DatabaseInfo[];
  /** Runs a health-check round now and reports it to the proxy. */
  checkHealth(): Promise<readonly DatabaseInfo[]>;
  /**
   * Serves a new database list (a config reload): the proxy hears of it at once, new sessions
   * use the new settings, and live sessions of a removed or changed database run to their end.
   * Resolves after the new list's first health check.
   */
  setDatabases(databases: readonly DatabaseConfig[]): Promise<readonly DatabaseInfo[]>;
  /** Turns query and statement audit events on or off, for live sessions too. */
  setQueryEvents(on: boolean): void;
  /** Re-imports the connection hooks (SIGHUP); a module that fails to load keeps the old ones. */
  setHooks(files: readonly string[]): Promise<void>;
  readonly hooks: HookRunner;
  readonly metrics: EngineMetrics;
  /** 'draining' once drain() or close() began: no new sessions, live ones move away. */
  readonly state: EngineState;
  /**
   * Moves every session to a peer engine serving the same database (docs/migration.md); a
   * session not movable within migration.wait is closed with an ERR saying why. New streams are
   * refused from now on, so the proxy routes them to the peers.
   */
  drain(reason: string): Promise<DrainSummary>;
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/** Open sessions per "db\u0000backend uri", for the per-backend gauges. */
function countSessionsByBackend(sessions: Iterable<SessionHandle>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of sessions) {
    if (s.backend === undefined) continue;
    const key = `${s.dbService}\u0000${s.backend.uri}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function splitHostPort(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(text.slice(colon + 1)) };
}

export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  const { config, cluster } = options;
  const engineId = config.name ?? hostname();
  const startedAt = new Date();
  const log = options.log.child({ engineId });
  const signer = createDbClientCertCache(cluster);
  const audit = createAudit({
    sink: cluster.auditSink,
    ...(options.queryMaxBytes ? { queryLimit: options.queryMaxBytes } : {}),
  });
  const switches: AuditSwitches = { queryEvents: options.queryEvents ?? true };
  const threads = new ThreadRegistry();
  const liveStreams = new Set<TunnelStream>();
  const sessions = new Set<SessionHandle>();
  const hooks = await createHookRunner({ files: config.hooks, timeoutMs: config.hook_timeout, log });
  let byName = new Map(config.databases.map((db) => [db.name, db]));
  const dbUsers = new DbUserManagers({ engineId, signer, audit, log }, config.databases);
  let closing = false;
  let state: EngineState = 'serving';
  let draining: Promise<DrainSummary> | undefined;
  let tunnel: TunnelClient | undefined;
  let pool: ProxyPool | undefined;
  // The proxies hear at once that this engine takes no new sessions (its registration's state).
  const announceDraining = (): void => {
    if (pool) pool.setEngineState('draining');
    else tunnel?.setEngineState('draining');
  };
  const registry = options.registry ?? createMetricsRegistry();
  const metrics = new EngineMetrics({
    registry,
    engineId,
    databases: () => health.current(),
    tunnelConnected: () => (tunnel === undefined ? undefined : tunnel.state === 'connected'),
    ...(options.commandLatency !== undefined ? { commandLatency: options.commandLatency } : {}),
  });
  // The host certificate the tunnel presents (renewed in place by the credentials keeper),
  // seen as the tunnel reads it.
  let hostCert: string | undefined;
  certExpiryGauge(registry, () => ({ engine_host: hostCert }));
  const { auditMetrics } = cluster;
  if (auditMetrics !== undefined) registerSpoolMetrics(registry, auditMetrics);
  metrics.streamsStalled = () => {
    let stalled = 0;
    for (const stream of liveStreams) if (stream.stats().sendCredit === 0 && stream.writableNeedDrain) stalled++;
    return stalled;
  };
  const countHandlerError = (): void => {
    metrics.handlerErrors++;
  };
  registerBackendMetrics(registry, {
    databases: () => health.current(),
    sessions: () => countSessionsByBackend(sessions),
  });
  registerHookMetrics(registry, hooks);
  registerDrainMetrics(registry, () => state);
  const readCredentials = options.getCredentials;
  const getCredentials =
    readCredentials === undefined
      ? undefined
      : async (): Promise<TunnelCredentials> => {
          const credentials = await readCredentials();
          hostCert = credentials.cert.toString();
          return credentials;
        };
  const closedForBackend = new WeakSet<RoutedSession>();
  const sessionToken =
    options.sessionTokenCas === undefined ? undefined : createSessionTokenCheck({ hostCas: options.sessionTokenCas });
  let infoByName = new Map<string, DatabaseInfo>();

  const handleStream = (stream: SessionStream): void => {
    const database = byName.get(stream.header.route.dbService);
    const refusing = closing || state === 'draining';
    if (database === undefined || refusing) metrics.recordSession(stream.header.route.dbService, 'rejected');
    if (database === undefined) {
      stream.reject({
        code: 'GH_ERR_ENGINE_NO_SUCH_DATABASE',
        message: `engine ${engineId} does not serve database '${stream.header.route.dbService}'`,
      });
      return;
    }
    if (closing) {
      stream.reject({ code: 'GH_ERR_ENGINE_CLOSED', message: `engine ${engineId} is shutting down` });
      return;
    }
    if (refusing) {
      stream.reject({ code: 'GH_ERR_ENGINE_DRAINING', message: `engine ${engineId} is draining` });
      return;
    }
    // The accepted tunnel streams, for the stalled-streams gauge; each leaves the set when it closes.
    const accept = () => {
      const accepted = stream.accept();
      if (accepted instanceof TunnelStream) {
        liveStreams.add(accepted);
        accepted.once('close', () => liveStreams.delete(accepted));
      }
      return accepted;
    };
    // Migration requests go to the proxy that opened the stream (any tunnel for a test's stream).
    const request = stream.request ?? ((method: string, body: unknown) => engineRequest(method, body));
    const handle = startSession(
      { header: stream.header, accept, reject: (error) => stream.reject(error), request },
      {
        engineId,
        database,
        cluster,
        signer,
        audit,
        ...(cluster.auditGate === undefined ? {} : { auditGate: cluster.auditGate }),
        auditSwitches: switches,
        threads,
        counters: metrics.countersFor(database.name),
        metrics,
        upstreamTls: metrics.upstreamTls,
        keepalive: config.tcp_keepalive,
        log,
        backends: () => infoByName.get(database.name)?.backends ?? [],
        hooks,
        onHandlerError: countHandlerError,
        ...(sessionToken === undefined ? {} : { sessionToken }),
        ...(dbUsers.get(database.name) !== undefined ? { dbUsers: dbUsers.get(database.name)! } : {}),
      },
    );
    sessions.add(handle);
    metrics.sessionOpened(database.name);
    void handle.done.then(() => {
      sessions.delete(handle);
      metrics.sessionClosed(database.name);
    });
  };

  const health: HealthChecker = startHealthChecker({
    databases: config.databases,
    intervalMs: config.health_check_interval,
    log,
    signer,
    onUpdate: (infos) => {
      const before = infoByName;
      infoByName = new Map(infos.map((i) => [i.name, i]));
      // This engine lost a database (its health check fails): its sessions move to a peer that
      // may still reach it (docs/migration.md).
      for (const info of infos) {
        if (info.health !== 'unhealthy' || before.get(info.name)?.health === 'unhealthy' || state === 'draining')
          continue;
        void drainSessions(
          drainContext(),
          `database '${info.name}' unavailable on engine ${engineId}`,
          (s) => s.dbService === info.name,
          // The sessions' own connections may still work: none is closed for not moving.
          { close: 'none' },
        );
      }
      closeUnavailableSessions(sessions, infos, byName, closedForBackend);
      if (pool) pool.updateDatabases(infos);
      else tunnel?.updateDatabases(infos);
    },
  });
  infoByName = new Map(health.current().map((i) => [i.name, i]));

  const engineRequest = (method: string, body: unknown): Promise<TunnelReply> => {
    if (pool) return pool.request(method, body);
    if (tunnel) return tunnel.request(method, body);
    return Promise.reject(new TypeError('this engine has no tunnel'));
  };
  const drainContext = () => ({
    engineId,
    sessions: () => sessions,
    waitMs: config.migration.wait,
    metrics,
    log,
  });

  const { connectInProcess } = options;
  const dial = (url: string): TunnelClient => {
    // Each stream's migration requests go back over the tunnel it came by: that proxy holds the client.
    const client: TunnelClient = createTunnelClient({
      url,
      getCredentials:
        getCredentials ?? (() => Promise.reject(new TypeError('an in-process engine has no tunnel credentials'))),
      ...(connectInProcess === undefined ? {} : { connectInProcess }),
      engineId,
      version: options.version ?? '0.1.0',
      databases: health.current(),
      onStream: (incoming) =>
        handleStream({
          header: incoming.header,
          accept: () => incoming.accept(),
          reject: (error) => incoming.reject(error),
          request: (method, body) => client.request(method, body),
        }),
      onHandlerError: countHandlerError,
      keepalive: config.tcp_keepalive,
      log,
    });
    // An auditor ended a session (a proxy's /v1/audit/live/…/terminate): the client gets an
    // ERR naming who and why, as for a lock, and the session's end event records it. Every
    // tunnel handles it: the request comes through whichever proxy the auditor used.
    client.handle(ClusterMethod.SessionTerminate, (request) => {
      const body = SessionTerminateRequestSchema.parse(request.body);
      const handle = [...sessions].find((s) => s.id === body.sessionId);
      handle?.close({
        ...EngineMysqlError.ConnectionKilled,
        message: `session terminated by ${body.by}: ${body.reason}`,
      });
      log.info({ sessionId: body.sessionId, by: body.by, found: handle !== undefined }, 'session terminate requested');
      return { body: { found: handle !== undefined } };
    });
    return client;
  };
  if (connectInProcess !== undefined) {
    tunnel = dial(options.tunnelUrl ?? `wss://${config.proxy_addr}/v1/tunnel`);
    tunnel.start();
  } else if (getCredentials !== undefined) {
    // One tunnel per proxy, learnt from the cluster state (see tunnel/proxy-pool.ts).
    const urlOf = (addr: string): string =>
      addr === config.proxy_addr && options.tunnelUrl ? options.tunnelUrl : `wss://${addr}/v1/tunnel`;
    pool = createProxyPool({ seedAddr: config.proxy_addr, dial: (addr) => dial(urlOf(addr)), log });
    tunnel = pool.primary;
    const proxies = pool;
    cluster.onChange((snapshot) => {
      if (snapshot.proxies !== undefined && !closing) proxies.setProxies(snapshot.proxies);
    });
  }

  const drain = (reason: string): Promise<DrainSummary> => {
    state = 'draining';
    announceDraining();
    draining ??= drainSessions(drainContext(), reason);
    return draining;
  };
  const stopDrainRequests = watchDrainRequests({
    engineId,
    startedAt,
    cluster,
    control: {
      get state() {
        return state;
      },
      drain,
    },
    audit,
    databases: () => [...byName.keys()],
    log,
  });

  let diag: FastifyInstance | undefined;
  let diagAddress: string | undefined;
  if (options.diag !== false) {
    const { host, port } = splitHostPort(config.diag_listen);
    diag = await startDiagServer({
      host,
      port,
      ready: () => {
        if (closing) return { ready: false, reason: 'shutting down' };
        if (state === 'draining') return { ready: false, reason: 'draining' };
        if (pool !== undefined ? !pool.connected() : tunnel !== undefined && tunnel.state !== 'connected')
          return { ready: false, reason: `tunnel ${tunnel?.state ?? 'none'}` };
        return { ready: true };
      },
      metrics: metricsSourceOf(registry),
    });
    diagAddress = diagAddressOf(diag);
  }

  return {
    engineId,
    tunnel,
    get tunnels(): ReadonlyMap<string, TunnelClient> {
      return pool?.tunnels ?? new Map(tunnel ? [[config.proxy_addr, tunnel]] : []);
    },
    request: engineRequest,
    diagAddress,
    handleStream,
    databases: () => health.current(),
    checkHealth: async () => {
      const infos = await health.checkNow();
      return infos;
    },
    setDatabases(databases) {
      byName = new Map(databases.map((db) => [db.name, db]));
      dbUsers.update(databases);
      return health.setDatabases(databases);
    },
    setQueryEvents(on) {
      switches.queryEvents = on;
    },
    setHooks: (files) => hooks.reload(files),
    hooks,
    metrics,
    get state() {
      return state;
    },
    drain,
    async close(closeOptions = {}) {
      // The graceful stop: sessions move to peers first (a no-op with none open); graceMs 0
      // asks for an immediate stop, which waits for nothing.
      if (!closing && sessions.size > 0 && closeOptions.graceMs !== 0) {
        state = 'draining';
        announceDraining();
        draining ??= drainSessions(drainContext(), 'engine shutting down', undefined, { close: 'except_no_peer' });
        await draining;
      }
      closing = true;
      stopDrainRequests();
      const graceMs = closeOptions.graceMs ?? 10_000;
      const all = () => Promise.all([...sessions].map((s) => s.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        all(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      for (const s of sessions)
        s.close({
          ...ServerError.ServerShutdown,
          message: `engine ${engineId} is shutting down; reconnect to reach another engine`,
        });
      await Promise.race([
        all(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, 12_000);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      await dbUsers.close();
      health.stop();
      await hooks.close();
      if (pool) pool.close();
      else tunnel?.close();
      await diag?.close();
      await cluster.close();
      log.info('engine closed');
    },
  };
}
