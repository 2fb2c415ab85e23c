// A diagnostics listener (DESIGN.md: proxy 3081, engine 3082): /healthz (the process is up),
// /readyz (the part can take work), /metrics (Prometheus text). It is kept off the public
// ports: metrics name databases and engines, which only operators should see.
import Fastify, { type FastifyInstance } from 'fastify';
import type { MetricsSource } from './metrics-source.js';

export interface DiagServerOptions {
  readonly host: string;
  readonly port: number;
  readonly ready: () => { readonly ready: boolean; readonly reason?: string };
  readonly metrics: MetricsSource;
}

export async function startDiagServer(options: DiagServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const state = options.ready();
    if (!state.ready) return reply.code(503).send({ status: 'not ready', reason: state.reason ?? '' });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await options.metrics.metrics();
    return reply.type(options.metrics.contentType).send(text);
  });
  await app.listen({ host: options.host, port: options.port });
  return app;
}

/** "host:port" of a listening diagnostics server. */
export function diagAddressOf(app: FastifyInstance): string | undefined {
  const address = app.server.address();
  return address !== null && typeof address === 'object' ? `${address.address}:${address.port}` : undefined;
}
