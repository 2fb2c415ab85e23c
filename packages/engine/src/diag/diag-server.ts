// The engine's diagnostics on diag_listen: /healthz (the process is up), /readyz (connected to a
// proxy and the cluster state is known), /metrics (Prometheus text).
import Fastify, { type FastifyInstance } from 'fastify';

export interface DiagServerOptions {
  readonly host: string;
  readonly port: number;
  readonly ready: () => { readonly ready: boolean; readonly reason?: string };
  readonly metrics: () => string;
}

export async function startDiagServer(options: DiagServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const state = options.ready();
    if (!state.ready) return reply.code(503).send({ status: 'not ready', reason: state.reason ?? '' });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(options.metrics()));
  await app.listen({ host: options.host, port: options.port });
  return app;
}
