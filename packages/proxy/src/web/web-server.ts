// The proxy's HTTPS port (fastify): the engines' tunnel (/v1/tunnel), join and renewal, health
// and readiness. No metrics here: this port is reached by engines and clients, so /metrics is
// served on the diagnostics listener (proxy.diag_listen) only. Client certificates are
// requested but not required by TLS: /v1/join is reached with a token before an engine has a
// certificate, and the routes that need one (tunnel, renew) check it themselves against the
// host CA.
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import type { AuditStore, Authorities, Store } from '@gatehouse/auth';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createClientVerifier } from '../front-door/client-certificate.js';
import type { LiveConnection } from '../front-door/session-context.js';
import type { ProxyCredentials } from '../tls/proxy-credentials.js';
import type { TunnelServer } from '../tunnel/index.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerJoinRoutes } from './join-routes.js';
import type { LiveSessionsSource } from './live-sessions.js';
import { registerStaticRoutes } from './static-routes.js';

export interface ProxyWebServerOptions {
  readonly credentials: ProxyCredentials;
  readonly authorities: Authorities;
  readonly store: Pick<Store, 'consumeToken' | 'resolveUserAccess' | 'isLocked'>;
  readonly tunnel: TunnelServer;
  /** The audit log the review (/web/, /v1/audit) reads; without it neither is served. */
  readonly audit?: Pick<AuditStore, 'append' | 'searchPage' | 'sessions' | 'verify'>;
  readonly proxyId?: string;
  /** The MySQL connections open now, for the Live page. */
  readonly connections?: () => Iterable<LiveConnection>;
  /** The Live page's sessions when they run in session workers. */
  readonly live?: LiveSessionsSource;
  readonly log: Logger;
  /** False while draining: load balancers stop sending new clients. */
  readonly ready: () => boolean;
  readonly engineCertTtlMs?: number;
}

function tlsOptions(credentials: ProxyCredentials) {
  return {
    cert: credentials.material.cert,
    key: credentials.material.key,
    ca: credentials.hostCaPems(),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2' as const,
  };
}

export function createWebServer(options: ProxyWebServerOptions): FastifyInstance {
  const { credentials, tunnel } = options;
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    https: tlsOptions(credentials),
  }) as unknown as FastifyInstance;
  credentials.onChange(() => {
    const { requestCert: _r, rejectUnauthorized: _u, ...context } = tlsOptions(credentials);
    (app.server as unknown as TlsServer).setSecureContext(context);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (!options.ready() || tunnel.closing) return reply.code(503).send({ status: 'stopping' });
    return { status: 'ready', engines: tunnel.registry.size };
  });
  registerJoinRoutes(app, {
    authorities: options.authorities,
    store: options.store,
    log: options.log,
    ...(options.engineCertTtlMs !== undefined ? { certTtlMs: options.engineCertTtlMs } : {}),
  });
  if (options.audit !== undefined) {
    registerAuditRoutes(app, {
      audit: options.audit,
      store: options.store,
      proxyId: options.proxyId ?? 'unknown',
      connections: options.connections ?? (() => []),
      registry: tunnel.registry,
      ...(options.live !== undefined ? { live: options.live } : {}),
      log: options.log,
      verifier: createClientVerifier({
        trustedUserCas: () => options.authorities.trustedCas('user'),
        lookupLock: (user) => options.store.isLocked(user),
      }),
    });
    registerStaticRoutes(app);
  }
  (app.server as unknown as Server).on('upgrade', (request, socket, head) => {
    if (!tunnel.handleUpgrade(request, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  // Before the HTTP server waits for its sockets: the tunnels are upgraded sockets it still counts.
  app.addHook('preClose', async () => tunnel.close());
  return app;
}
