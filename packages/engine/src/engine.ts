// The engine service: owns the tunnel client, the health checks, the diagnostics server and the
// sessions. Streams for a database it serves become sessions; others are rejected so the proxy
// tries another engine. close({ graceMs }) drains: no new streams, open sessions get the grace,
// then they are closed with an ERR that says the engine is shutting down.
import { hostname } from 'node:os';
import {
  createAudit,
  type DatabaseConfig,
  type DatabaseInfo,
  type EngineConfig,
  type InMemoryTunnelEnd,
  ServerError,
  type TunnelReply,
} from '@gatehouse/common';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createDbClientCertCache } from './cluster/db-client-cert-cache.js';
import type { EngineCluster } from './cluster/engine-cluster.js';
import { startDiagServer } from './diag/diag-server.js';
import { type EngineMetrics, renderMetrics } from './diag/metrics.js';
import { type HealthChecker, startHealthChecker } from './health/health-checker.js';
import type { AuditSwitches } from './session/command-audit.js';
import { type SessionHandle, type SessionStream, startSession } from './session/session.js';
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
  readonly metrics: EngineMetrics;
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

function splitHostPort(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(text.slice(colon + 1)) };
}

export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  const { config, cluster } = options;
  const engineId = config.name ?? hostname();
  const log = options.log.child({ engineId });
  const signer = createDbClientCertCache(cluster);
  const audit = createAudit({
    sink: cluster.auditSink,
    ...(options.queryMaxBytes ? { queryLimit: options.queryMaxBytes } : {}),
  });
  const switches: AuditSwitches = { queryEvents: options.queryEvents ?? true };
  const threads = new ThreadRegistry();
  const metrics: EngineMetrics = {
    counters: { bytesFromClient: 0, bytesToClient: 0, commands: 0, deniedCommands: 0 },
    sessionsOpen: 0,
    sessionsStarted: 0,
  };
  const sessions = new Set<SessionHandle>();
  let byName = new Map(config.databases.map((db) => [db.name, db]));
  let closing = false;
  let tunnel: TunnelClient | undefined;
  let pool: ProxyPool | undefined;

  const handleStream = (stream: SessionStream): void => {
    const database = byName.get(stream.header.route.dbService);
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
    const handle = startSession(stream, {
      engineId,
      database,
      cluster,
      signer,
      audit,
      auditSwitches: switches,
      threads,
      counters: metrics.counters,
      log,
    });
    sessions.add(handle);
    metrics.sessionsOpen++;
    metrics.sessionsStarted++;
    void handle.done.then(() => {
      sessions.delete(handle);
      metrics.sessionsOpen--;
    });
  };

  const health: HealthChecker = startHealthChecker({
    databases: config.databases,
    intervalMs: config.health_check_interval,
    log,
    onUpdate: (infos) => (pool ? pool.updateDatabases(infos) : tunnel?.updateDatabases(infos)),
  });

  const { getCredentials, connectInProcess } = options;
  const dial = (url: string): TunnelClient =>
    createTunnelClient({
      url,
      getCredentials:
        getCredentials ??
        (() => Promise.reject(new TypeError('an in-process engine has no tunnel credentials'))),
      ...(connectInProcess === undefined ? {} : { connectInProcess }),
      engineId,
      version: options.version ?? '0.1.0',
      databases: health.current(),
      onStream: handleStream,
      log,
    });
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

  let diag: FastifyInstance | undefined;
  let diagAddress: string | undefined;
  if (options.diag !== false) {
    const { host, port } = splitHostPort(config.diag_listen);
    diag = await startDiagServer({
      host,
      port,
      ready: () => {
        if (closing) return { ready: false, reason: 'shutting down' };
        if (pool !== undefined ? !pool.connected() : tunnel !== undefined && tunnel.state !== 'connected')
          return { ready: false, reason: `tunnel ${tunnel?.state ?? 'none'}` };
        return { ready: true };
      },
      metrics: () => renderMetrics(metrics, health.current()),
    });
    const address = diag.server.address();
    if (address !== null && typeof address === 'object') diagAddress = `${address.address}:${address.port}`;
  }

  return {
    engineId,
    tunnel,
    get tunnels(): ReadonlyMap<string, TunnelClient> {
      return pool?.tunnels ?? new Map(tunnel ? [[config.proxy_addr, tunnel]] : []);
    },
    request(method, body) {
      if (pool) return pool.request(method, body);
      if (tunnel) return tunnel.request(method, body);
      return Promise.reject(new TypeError('this engine has no tunnel'));
    },
    diagAddress,
    handleStream,
    databases: () => health.current(),
    checkHealth: async () => {
      const infos = await health.checkNow();
      return infos;
    },
    setDatabases(databases) {
      byName = new Map(databases.map((db) => [db.name, db]));
      return health.setDatabases(databases);
    },
    setQueryEvents(on) {
      switches.queryEvents = on;
    },
    metrics,
    async close(closeOptions = {}) {
      closing = true;
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
      health.stop();
      if (pool) pool.close();
      else tunnel?.close();
      await diag?.close();
      await cluster.close();
      log.info('engine closed');
    },
  };
}
