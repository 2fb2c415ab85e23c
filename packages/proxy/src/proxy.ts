// The proxy part, assembled: the MySQL front door, the tunnel to the engines and the HTTPS API.
// `gatehouse start` builds one from the config; tests build one on port 0.
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import type { AuditStore, Authorities, Store } from '@gatehouse/auth';
import type { ProxyConfig } from '@gatehouse/common';
import {
  aggregatedMetricsSource,
  createMetricsRegistry,
  diagAddressOf,
  type MetricsJson,
  metricsSourceOf,
  startDiagServer,
} from '@gatehouse/common/metrics';
import { createTrustedNetworks } from '@gatehouse/common/proxy-protocol';
import type { DatabaseInfo } from '@gatehouse/tunnel';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createClusterHandlers } from './cluster/cluster-handlers.js';
import { createClientVerifier } from './front-door/client-certificate.js';
import { ConnectionLimits } from './front-door/connection-limits.js';
import { chooseGreetingProfile, type GreetingProfile } from './front-door/greeting-profile.js';
import { type DrainOptions, type HandOff, MysqlListener } from './front-door/mysql-listener.js';
import { createRefusalAudit } from './front-door/refusal-audit.js';
import type { LiveConnection } from './front-door/session-context.js';
import { createSessionMoveHandlers } from './front-door/session-move-handlers.js';
import { createSessionTokenIssuer } from './front-door/session-token-issuer.js';
import { pickMysqlSocket, readActivatedSockets } from './front-door/systemd-sockets.js';
import { type PeerCredentialsSupport, peerCredentialsSupport } from './front-door/unix-peer.js';
import { ProxyMetrics } from './metrics/proxy-metrics.js';
import { createEngineRouter } from './routing/engine-router.js';
import { ProxyCredentials, SESSION_LIFETIME_S } from './tls/proxy-credentials.js';
import { TlsSessionCache } from './tls/session-cache.js';
import { engineOfId, listEngines, TunnelServer, type TunnelServerOptions } from './tunnel/index.js';
import {
  type LiveSessionsSource,
  type LiveSessionView,
  listLiveSessions,
  terminateLiveSession,
} from './web/live-sessions.js';
import { createWebServer } from './web/web-server.js';

export interface StartProxyOptions {
  readonly config: ProxyConfig;
  readonly authorities: Authorities;
  readonly store: Pick<
    Store,
    'isLocked' | 'consumeToken' | 'version' | 'listRoles' | 'listUsers' | 'listActiveLocks' | 'resolveUserAccess'
  > &
    Partial<Pick<Store, 'listProxies' | 'listEngineDrains'>>;
  readonly audit?: Pick<AuditStore, 'append'>;
  /** The audit log the review (web app under /web/, API under /v1/audit) reads; absent: not served. */
  readonly auditReview?: Pick<AuditStore, 'append' | 'searchPage' | 'sessions' | 'verify'>;
  /** Several proxies share the store: tell engines every live proxy (cluster.state `proxies`). */
  readonly advertiseProxies?: boolean;
  readonly log: Logger;
  /** The CN of the proxy's certificate and the proxyId in stream headers (default proxy-<hostname>). */
  readonly proxyId?: string;
  /** Tunnel tuning (heartbeats, windows, open timeout). */
  readonly tunnel?: Omit<TunnelServerOptions, 'hostCaPems' | 'log'>;
  /** How long a greeting's version and capabilities are reused (default 1 s). */
  readonly greetingCacheMs?: number;
  readonly engineCertTtlMs?: number;
  /** How often the CAs are re-read and the proxy's certificate checked (default 5 s). */
  readonly credentialsRefreshMs?: number;
  /**
   * Where the proxy's metrics go (default: a registry of its own with the process metrics);
   * served on config.diag_listen. The auth part in the same process registers on it too.
   */
  readonly registry?: Registry;
  /** How unix-socket clients are identified (default: the addon npm install built, if it did). */
  readonly peerCredentials?: PeerCredentialsSupport;
  /** proxy.workers > 1: this proxy's part in it (docs/architecture.md "Workers"). */
  readonly workers?: ProxyWorkerRole;
}

/**
 * `supervisor`: listens on every port, counts the connection limits for all workers, hands each
 * admitted client socket to a worker, and serves /metrics with the workers' added in.
 * `worker`: binds nothing; runs the sockets it is given (RunningProxy.adopt), with connection ids
 * `first`, `first + step`, ... so that no two workers give out the same one, and the
 * supervisor's TLS ticket key.
 */
export type ProxyWorkerRole =
  | {
      readonly role: 'supervisor';
      readonly handOff: HandOff;
      readonly metrics: () => Promise<readonly MetricsJson[]>;
      /** The Live page's sessions, which are the workers'. */
      readonly live?: LiveSessionsSource;
    }
  | {
      readonly role: 'worker';
      readonly firstConnectionId: number;
      readonly step: number;
      readonly ticketKey: Buffer;
      /**
       * The split shape: this worker's own HTTPS listener, for the tunnels of engines in other
       * processes (the supervisor's web port serves everything else).
       */
      readonly tunnelListen?: ListenAddress;
    };

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface RunningProxy {
  readonly proxyId: string;
  /** The first TCP MySQL listener. */
  readonly mysqlAddress: ListenAddress;
  /** The unix-socket MySQL listeners (paths). */
  readonly mysqlSockets: readonly string[];
  readonly webAddress: ListenAddress;
  /** The diagnostics listener (/healthz, /readyz, /metrics). */
  readonly diagAddress: string;
  readonly tunnel: TunnelServer;
  readonly credentials: ProxyCredentials;
  readonly metrics: ProxyMetrics;
  readonly web: FastifyInstance;
  /** The connection limits in force; setLimits changes them in place. */
  readonly limits: ConnectionLimits;
  /**
   * Applies reloaded limits: new connections are counted against them at once (connections
   * already open stay, even above a lowered limit), and new handshakes get the new timeout.
   */
  setLimits(limits: ProxyConfig['limits']): void;
  /** MySQL client connections open now, handshaking or relaying. */
  connections(): Iterable<LiveConnection>;
  /** The greeting a client connecting now would get. */
  greeting(): GreetingProfile;
  /** The sessions relaying now, for the Live page. */
  liveSessions(): LiveSessionView[];
  /** Ends a live session for an auditor (the Live page's terminate). */
  terminateLiveSession(sid: string, by: string, reason: string): Promise<{ readonly via: 'engine' | 'proxy' }>;
  /** Runs a client socket its supervisor accepted (worker role). */
  adopt(socket: Socket, unixPath?: string, serverVersion?: string): void;
  /** Drains: stops accepting, lets sessions run for `graceMs`, closes them, then the HTTPS side. */
  close(options?: DrainOptions): Promise<void>;
}

/** About 0.5–2 KiB each (the session and the client's certificate): a few MiB at most. */
const TLS_SESSION_CACHE_ENTRIES = 4096;

/** Splits "host:port" / "[v6]:port" (validated by the config schema). */
export function splitHostPort(text: string): ListenAddress {
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(text.slice(at + 1)) };
}

export async function startProxy(options: StartProxyOptions): Promise<RunningProxy> {
  const { config, authorities, store, log } = options;
  const proxyId = options.proxyId ?? `proxy-${hostname()}`;
  const worker = options.workers?.role === 'worker' ? options.workers : undefined;
  const supervisor = options.workers?.role === 'supervisor' ? options.workers : undefined;
  const credentials = await ProxyCredentials.create({
    authorities,
    proxyId,
    publicAddr: config.public_addr,
    log: log.child({ component: 'proxy-tls' }),
    refreshIntervalMs: options.credentialsRefreshMs ?? 5_000,
    mysqlTls: {
      minVersion: config.tls.min_version,
      ...(config.tls.ciphers !== undefined ? { ciphers: config.tls.ciphers } : {}),
      resumption: config.tls.resumption,
    },
    ...(worker !== undefined ? { ticketKey: worker.ticketKey } : {}),
  });
  const metrics = new ProxyMetrics(options.registry ?? createMetricsRegistry());
  // TLS 1.2 session ids; tickets need no server state.
  const tlsSessions = config.tls.resumption
    ? new TlsSessionCache({ maxEntries: TLS_SESSION_CACHE_ENTRIES, lifetimeMs: SESSION_LIFETIME_S * 1000 })
    : undefined;
  const tunnel = new TunnelServer({
    onRoundTrip: (engineId, seconds) => metrics.recordRoundTrip(engineId, seconds),
    keepalive: config.tcp_keepalive,
    ...options.tunnel,
    hostCaPems: credentials.hostCaPems(),
    log: log.child({ component: 'tunnel' }),
    // Called only once streams run, long after `metrics` below exists.
    onHandlerError: () => metrics.recordHandlerError('tunnel'),
  });
  // `gatectl ca rotate --type host` (any process) reaches the tunnel's trust on the next refresh:
  // engines with certificates from the new CA are let in, the old CA until its grace period ends.
  credentials.onChange(() => {
    tunnel.setHostCaPems(credentials.hostCaPems());
    log.info({ hostCas: credentials.hostCaPems().length }, 'tunnel trust updated');
  });
  for (const [method, handler] of createClusterHandlers({
    authorities,
    store,
    ...(options.audit !== undefined ? { audit: options.audit } : {}),
    ...(options.advertiseProxies ? { advertiseProxies: true } : {}),
    log: log.child({ component: 'cluster' }),
  })) {
    tunnel.handle(method, handler);
  }
  // Live migration: engines pause, resume and move the sessions they carry (called only once
  // sessions run, long after `listener` below exists).
  for (const [method, handler] of createSessionMoveHandlers({
    connections: () => listener.connections,
    log: log.child({ component: 'migration' }),
  })) {
    tunnel.handle(method, handler);
  }

  const cacheMs = options.greetingCacheMs ?? 1000;
  let cached: { profile: GreetingProfile; at: number } | undefined;
  const greeting = (): GreetingProfile => {
    const now = Date.now();
    if (cached === undefined || now - cached.at >= cacheMs) {
      const databases: DatabaseInfo[] = [];
      for (const engine of tunnel.registry.engines()) databases.push(...engine.databases.values());
      cached = { profile: chooseGreetingProfile(databases, config.server_version), at: now };
    }
    return cached.profile;
  };

  const peerCredentials = options.peerCredentials ?? peerCredentialsSupport();
  let connectionId = 0;
  const refusals =
    options.audit === undefined
      ? undefined
      : createRefusalAudit({ store: options.audit, proxyId, log: log.child({ component: 'audit' }) });
  // A worker's total is counted by its supervisor, across all workers.
  const maxTotal = (l: ProxyConfig['limits']): number =>
    worker !== undefined ? Number.POSITIVE_INFINITY : l.max_connections;
  const limits = new ConnectionLimits(maxTotal(config.limits), config.limits.max_connections_per_ip);
  let handshakeTimeoutMs = config.limits.handshake_timeout;
  const listener = new MysqlListener(
    {
      proxyId,
      log: log.child({ component: 'mysql' }),
      limits,
      // A getter: each connection reads the timeout when it starts, so a reload applies to the next one.
      get handshakeTimeoutMs() {
        return handshakeTimeoutMs;
      },
      trustedNetworks: createTrustedNetworks(config.proxy_protocol.trusted_networks),
      keepalive: config.tcp_keepalive,
      greeting,
      secureContext: () => credentials.mysqlContext(),
      sessionTokens: createSessionTokenIssuer(() => credentials.material),
      ...(tlsSessions !== undefined ? { tlsSessions } : {}),
      verifier: createClientVerifier({
        trustedUserCas: () => authorities.trustedCas('user'),
        lookupLock: (user) => store.isLocked(user),
      }),
      router: createEngineRouter({ registry: tunnel.registry }),
      metrics,
      peerCredentials,
      ...(refusals !== undefined ? { refusals } : {}),
      nextConnectionId:
        worker === undefined
          ? () => {
              connectionId = connectionId >= 0xffffffff ? 1 : connectionId + 1;
              return connectionId;
            }
          : () => {
              connectionId =
                connectionId === 0 || connectionId > 0xffffffff - worker.step
                  ? worker.firstConnectionId
                  : connectionId + worker.step;
              return connectionId;
            },
    },
    supervisor?.handOff,
  );
  let draining = false;
  const web = createWebServer({
    credentials,
    authorities,
    store,
    tunnel,
    ...(options.auditReview !== undefined ? { audit: options.auditReview } : {}),
    proxyId,
    connections: () => listener.connections,
    ...(supervisor?.live !== undefined ? { live: supervisor.live } : {}),
    log: log.child({ component: 'web' }),
    ready: () => !draining,
    ...(options.engineCertTtlMs !== undefined ? { engineCertTtlMs: options.engineCertTtlMs } : {}),
  });

  metrics.attach({
    connections: () => listener.connections,
    // An engine's session workers register apart (`id#i`); it is still one engine.
    engines: () => new Set(tunnel.registry.engines().map((e) => engineOfId(e.engineId))).size,
    tunnelStreams: () => {
      let n = 0;
      for (const engine of tunnel.registry.engines()) n += engine.connection.streamCount;
      return n;
    },
    engineViews: () => listEngines(tunnel.registry.engines()),
    tlsCert: () => credentials.material.cert,
    unixPeerCredentials: () => peerCredentials.available,
  });

  // Each mysql_listen entry: an address, or { address, server_version } for a listener that
  // announces a version of its own.
  const entries = (typeof config.mysql_listen === 'string' ? [config.mysql_listen] : config.mysql_listen).map((e) =>
    typeof e === 'string'
      ? { address: e, serverVersion: undefined }
      : { address: e.address, serverVersion: e.server_version },
  );
  const listens = entries.map((e) => e.address);
  const unixEntries = entries.filter((e) => e.address.startsWith('unix:'));
  const mysqlSockets = unixEntries.map((e) => e.address.slice('unix:'.length));
  const webWanted = splitHostPort(config.web_listen);
  const diagWanted = splitHostPort(config.diag_listen);
  // With systemd socket activation the unit's ListenStream= replaces the TCP addresses of
  // mysql_listen (and takes the first one's server_version); its unix: sockets are still opened here.
  const activated = pickMysqlSocket(readActivatedSockets());
  let mysqlAddress: ListenAddress | undefined;
  let diag: FastifyInstance | undefined;
  try {
    if (worker !== undefined) {
      // Binds no MySQL port: the supervisor owns them and serves web and diagnostics. In the
      // split shape it listens for engine tunnels of its own.
      if (worker.tunnelListen !== undefined) await web.listen(worker.tunnelListen);
    } else if (activated !== undefined) {
      const firstTcp = entries.find((e) => !e.address.startsWith('unix:'));
      const bound = await listener.listenOnFd(activated.fd, firstTcp?.serverVersion);
      mysqlAddress = { host: bound.address, port: bound.port };
    }
    for (const e of entries) {
      if (e.address.startsWith('unix:') || activated !== undefined || worker !== undefined) continue;
      const wanted = splitHostPort(e.address);
      const bound = await listener.listen(wanted.host, wanted.port, e.serverVersion);
      mysqlAddress ??= { host: wanted.host, port: bound.port };
    }
    if (worker === undefined) {
      for (const e of unixEntries) await listener.listenUnix(e.address.slice('unix:'.length), e.serverVersion);
      if (mysqlSockets.length > 0 && !peerCredentials.available) {
        log.warn(
          { reason: peerCredentials.reason },
          'unix peer credentials unavailable: roles with unix_peers refuse unix clients',
        );
      }
      await web.listen({ host: webWanted.host, port: webWanted.port });
      diag = await startDiagServer({
        host: diagWanted.host,
        port: diagWanted.port,
        ready: () => (draining || tunnel.closing ? { ready: false, reason: 'stopping' } : { ready: true }),
        metrics:
          supervisor === undefined
            ? metricsSourceOf(metrics.registry)
            : aggregatedMetricsSource(metrics.registry, supervisor.metrics),
      });
    }
  } catch (err) {
    await listener.close();
    await web.close();
    await diag?.close();
    credentials.stop();
    throw err;
  }
  const diagAddress = (diag !== undefined ? diagAddressOf(diag) : undefined) ?? config.diag_listen;
  const webBound = (web.server.address() as { port: number } | null) ?? { port: 0 };
  if (worker === undefined)
    log.info(
      {
        proxyId,
        mysql: activated === undefined ? listens : `${mysqlAddress?.host}:${mysqlAddress?.port}`,
        ...(activated !== undefined && mysqlSockets.length > 0 ? { mysqlSockets } : {}),
        web: `${webWanted.host}:${webBound.port}`,
        diag: diagAddress,
        ...(activated !== undefined ? { socketActivation: { fd: activated.fd, name: activated.name } } : {}),
      },
      'proxy listening',
    );

  return {
    proxyId,
    mysqlAddress: mysqlAddress ?? { host: '', port: 0 },
    mysqlSockets,
    webAddress: { host: webWanted.host, port: webBound.port },
    diagAddress,
    tunnel,
    credentials,
    metrics,
    web,
    limits,
    setLimits(next) {
      limits.maxConnections = maxTotal(next);
      limits.maxPerIp = next.max_connections_per_ip;
      handshakeTimeoutMs = next.handshake_timeout;
    },
    connections: () => listener.connections,
    greeting,
    liveSessions: () => listLiveSessions({ connections: () => listener.connections }),
    terminateLiveSession: (sid, by, reason) => {
      if (options.audit === undefined) return Promise.reject(new TypeError('this proxy has no audit store'));
      const deps = { proxyId, connections: () => listener.connections, registry: tunnel.registry, log };
      return terminateLiveSession({ ...deps, audit: options.audit }, sid, by, reason);
    },
    adopt: (socket, unixPath, serverVersion) => listener.adopt(socket, unixPath, serverVersion),
    async close(drain = {}) {
      draining = true;
      // The tunnel stays up through the grace period: the sessions still relay over it.
      await listener.close(drain);
      await refusals?.close();
      await web.close();
      await diag?.close();
      credentials.stop();
      tlsSessions?.clear();
      log.info({ proxyId }, 'proxy stopped');
    },
  };
}
