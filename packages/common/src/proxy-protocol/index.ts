// PROXY protocol v1/v2: reading the real client address from trusted load balancers.
export {
  detectProxyHeader,
  type ParseProxyHeaderResult,
  type ProxyEndpoint,
  type ProxyHeader,
  parseProxyHeader,
} from './parse.js';
export { ProxyProtocolError } from './proxy-protocol-error.js';
export { serializeProxyHeaderV1, serializeProxyHeaderV2, serializeProxyHeaderV2Local } from './serialize.js';
export { createTrustedNetworks, type TrustedNetworks } from './trusted-networks.js';
