import type { Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerBase } from 'fastify';
import type { Logger } from 'pino';
import type { TunnelServer } from './tunnel-server.js';

export interface TunnelWebServerOptions {
  /** The proxy's HTTPS certificate and key (PEM), issued from the host CA. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Every CA whose client certs the HTTPS server accepts (host CA for engines, user CA for the API). */
  readonly clientCaPems: readonly string[];
  readonly tunnel: TunnelServer;
  readonly log: Logger;
}

/**
 * The proxy's fastify HTTPS server with the tunnel endpoint and health routes. Client certs are
 * requested but not required at the TLS layer, because /v1/join is reached with a token before
 * an engine has a cert; the tunnel route checks the cert itself.
 */
export function createTunnelWebServer(options: TunnelWebServerOptions) {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    https: {
      cert: options.cert,
      key: options.key,
      ca: [...options.clientCaPems],
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
  });
  registerTunnelRoutes(app, options.tunnel);
  return app;
}

/** Adds /healthz, /readyz and the /v1/tunnel upgrade to an HTTPS fastify instance. */
export function registerTunnelRoutes<S extends RawServerBase>(app: FastifyInstance<S>, tunnel: TunnelServer): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (tunnel.closing) return reply.code(503).send({ status: 'stopping' });
    return { status: 'ready', engines: tunnel.registry.size };
  });
  // Every HTTPS flavour fastify runs (http.Server, https.Server) emits 'upgrade'.
  (app.server as unknown as Server).on('upgrade', (request, socket, head) => {
    if (!tunnel.handleUpgrade(request, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  // preClose: the upgraded tunnel sockets would otherwise keep server.close() waiting forever.
  app.addHook('preClose', async () => tunnel.close());
}
