// Public surface of the engine's cluster area: what sessions need from the auth part.
export { createDbClientCertCache, type DbClientCertCacheOptions } from './db-client-cert-cache.js';
export {
  activeLock,
  type ClusterSnapshot,
  type DbClientCert,
  type DbClientCertRequest,
  type DbClientCertSigner,
  type EngineCluster,
} from './engine-cluster.js';
export { createInProcessCluster, type InProcessClusterOptions } from './in-process-cluster.js';
export { createTunnelCluster, type TunnelClusterOptions } from './tunnel-cluster.js';
