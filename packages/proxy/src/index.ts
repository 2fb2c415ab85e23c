// Public entry point of @gatehouse/proxy.
export { type ClusterHandlerOptions, createClusterHandlers } from './cluster/cluster-handlers.js';
export { type ClientVerifier, createClientVerifier, readPeerChain } from './front-door/client-certificate.js';
export { ConnectionLimits } from './front-door/connection-limits.js';
export { FrontDoorErrno, FrontDoorError } from './front-door/front-door-error.js';
export {
  chooseGreetingProfile,
  chooseServerVersion,
  DEFAULT_SERVER_VERSION,
  GATEWAY_CAPABILITIES,
  type GreetingProfile,
} from './front-door/greeting-profile.js';
export { type DrainOptions, type HandOff, MysqlListener } from './front-door/mysql-listener.js';
export type { FrontDoorContext, LiveConnection } from './front-door/session-context.js';
export { loadPeerCredentials, type PeerCredentialsSupport, peerCredentialsSupport } from './front-door/unix-peer.js';
export { ProxyMetrics } from './metrics/proxy-metrics.js';
export {
  type ListenAddress,
  type ProxyWorkerRole,
  type RunningProxy,
  type StartProxyOptions,
  splitHostPort,
  startProxy,
} from './proxy.js';
export {
  createEngineRouter,
  ENGINE_NO_SUCH_DATABASE,
  type EngineRouterOptions,
  type RoutedStream,
  type SessionRouter,
} from './routing/engine-router.js';
export { ProxyCredentials, type ProxyCredentialsOptions, type TlsMaterial } from './tls/proxy-credentials.js';
export {
  createTunnelWebServer,
  type DatabaseListing,
  type EngineCandidate,
  type EngineEntry,
  EngineRegistry,
  type EngineRequestHandler,
  NoEngineError,
  type OpenedSession,
  registerTunnelRoutes,
  TUNNEL_PATH,
  TunnelAuthError,
  TunnelServer,
  type TunnelServerOptions,
  type TunnelWebServerOptions,
  verifyEnginePeer,
} from './tunnel/index.js';
export {
  type HostCertReply,
  JOIN_PATH,
  type JoinRequest,
  JoinRequestSchema,
  RENEW_PATH,
  type RenewRequest,
  RenewRequestSchema,
} from './web/join-routes.js';
export { type LiveSessionView, listLiveSessions, terminateLiveSession } from './web/live-sessions.js';
export { createWebServer, type ProxyWebServerOptions } from './web/web-server.js';
