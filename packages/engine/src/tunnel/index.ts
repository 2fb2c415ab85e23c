export { type BackoffOptions, computeBackoff } from './backoff.js';
export { createProxyPool, type ProxyPool, type ProxyPoolOptions } from './proxy-pool.js';
export {
  createTunnelClient,
  TunnelClient,
  type TunnelClientOptions,
  type TunnelClientState,
  type TunnelCredentials,
} from './tunnel-client.js';
