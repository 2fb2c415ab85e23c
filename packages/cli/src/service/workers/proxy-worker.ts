// A session worker of the split shape's proxy process: a front door that runs the client sockets
// its supervisor hands it, and a tunnel listener of its own that every engine dials (the
// supervisor registers its address as a proxy of the cluster, so engines learn it from the
// cluster state, as they learn the proxies of a scale-out cluster). Its tunnels answer the
// engines' control requests from the store and the CAs it reads itself; their audit events go
// to the supervisor, the one writer of the chain. docs/scale-out.md "Workers in the split shape".
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import { splitHostPort, startProxy } from '@gatehouse/proxy';
import { startSnapshots } from '../run-services.js';
import { openWorkerState, type WorkerContext, type WorkerParts } from './worker-parts.js';

/** Where worker `index` listens for tunnels: proxy.worker_tunnel_listen's port + index, or any free port. */
function tunnelListen(context: WorkerContext): { host: string; port: number } {
  const { proxy } = context.config;
  const base = splitHostPort(proxy.worker_tunnel_listen ?? proxy.web_listen.replace(/:\d+$/, ':0'));
  return { host: base.host, port: base.port === 0 ? 0 : base.port + context.start.index };
}

/** The address engines dial: the host they reach the proxy by, and this worker's port. */
function advertisedHost(context: WorkerContext): string {
  const { proxy } = context.config;
  return proxy.tunnel_public_addr !== undefined ? splitHostPort(proxy.tunnel_public_addr).host : proxy.public_addr[0]!;
}

export async function startProxyWorker(context: WorkerContext): Promise<WorkerParts> {
  const { config, log, audit, start } = context;
  const cluster = await openWorkerState(config, log);
  const { state, authorities } = cluster;
  const proxyRegistry = createMetricsRegistry();
  const proxy = await startProxy({
    config: config.proxy,
    authorities,
    store: state.store,
    audit,
    // Engines keep a tunnel to each worker: the cluster state lists them.
    advertiseProxies: true,
    log: log.child({ part: 'proxy' }),
    ...(config.proxy.name ? { proxyId: config.proxy.name } : {}),
    registry: proxyRegistry,
    workers: {
      role: 'worker',
      firstConnectionId: start.index + 1,
      step: start.count,
      ticketKey: start.ticketKey,
      tunnelListen: tunnelListen(context),
    },
  });
  const host = advertisedHost(context);
  const tunnelAddr = `${host.includes(':') ? `[${host}]` : host}:${proxy.webAddress.port}`;
  const stopSnapshots = startSnapshots(config, proxy, log, `${proxy.proxyId}.w${start.index}`);
  return {
    proxy,
    engine: undefined,
    proxyRegistry,
    engineRegistry: undefined,
    tunnelAddr,
    async close(graceMs) {
      stopSnapshots();
      await proxy.close({ graceMs });
      await cluster.close();
    },
  };
}
