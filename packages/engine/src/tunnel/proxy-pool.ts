// An engine's tunnels to every proxy of the cluster, as Teleport's agent pool keeps them. The
// engine starts with one (config proxy_addr, possibly a load balancer); once the cluster state
// lists the live proxies, it keeps exactly one tunnel per listed proxy address: proxies added
// later are dialled, and a proxy whose registration expired (it died) has its tunnel closed
// while the others stay up. If the list ever comes back empty, the first address is dialled again.
import type { ProxyTunnel } from '@gatehouse/common/cluster';
import type { DatabaseInfo, TunnelReply } from '@gatehouse/tunnel';
import { TunnelError } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { TunnelClient } from './tunnel-client.js';

export interface ProxyPoolOptions {
  /** The address the engine was configured with (proxy_addr). */
  readonly seedAddr: string;
  /** Makes (but does not start) a tunnel client for wss://<addr>/v1/tunnel. */
  readonly dial: (addr: string) => TunnelClient;
  readonly log: Logger;
}

export interface ProxyPool {
  /** The tunnels by proxy address. */
  readonly tunnels: ReadonlyMap<string, TunnelClient>;
  /** The first tunnel made (the seed), for callers that want one. */
  readonly primary: TunnelClient;
  /** Reconciles the tunnels with the cluster's list of live proxies. */
  setProxies(proxies: readonly ProxyTunnel[]): void;
  /** A control request over any connected tunnel. */
  request(method: string, body: unknown): Promise<TunnelReply>;
  updateDatabases(databases: readonly DatabaseInfo[]): void;
  /** True when at least one tunnel is connected. */
  connected(): boolean;
  close(): void;
}

export function createProxyPool(options: ProxyPoolOptions): ProxyPool {
  const tunnels = new Map<string, TunnelClient>();
  const primary = options.dial(options.seedAddr);
  tunnels.set(options.seedAddr, primary);
  primary.start();
  let databases: readonly DatabaseInfo[] | undefined;

  const open = (addr: string): void => {
    const client = options.dial(addr);
    if (databases) client.updateDatabases(databases);
    tunnels.set(addr, client);
    client.start();
    options.log.info({ proxyAddr: addr }, 'tunnel to a new proxy');
  };

  return {
    tunnels,
    primary,
    setProxies(proxies) {
      const wanted = new Set(proxies.map((p) => p.addr));
      if (wanted.size === 0) wanted.add(options.seedAddr);
      for (const [addr, client] of tunnels) {
        if (wanted.has(addr)) continue;
        client.close();
        tunnels.delete(addr);
        options.log.info({ proxyAddr: addr }, 'tunnel closed: the proxy is no longer in the cluster');
      }
      for (const addr of wanted) if (!tunnels.has(addr)) open(addr);
    },
    request(method, body) {
      const ready = [...tunnels.values()].filter((t) => t.state === 'connected');
      const tunnel = ready[Math.floor(Math.random() * ready.length)];
      if (!tunnel)
        return Promise.reject(new TunnelError('GH_ERR_TUNNEL_NOT_CONNECTED', 'the engine has no tunnel to any proxy'));
      return tunnel.request(method, body);
    },
    updateDatabases(next) {
      databases = next;
      for (const t of tunnels.values()) t.updateDatabases(next);
    },
    connected: () => [...tunnels.values()].some((t) => t.state === 'connected'),
    close() {
      for (const t of tunnels.values()) t.close();
      tunnels.clear();
    },
  };
}
