// Public entry point of @gatehouse/proxy.
export { type ClientVerifier, createClientVerifier } from './front-door/client-certificate.js';
export { ConnectionLimits } from './front-door/connection-limits.js';
export { FrontDoorErrno, FrontDoorError } from './front-door/front-door-error.js';
export { type DrainOptions, MysqlListener } from './front-door/mysql-listener.js';
export type { FrontDoorContext, LiveConnection } from './front-door/session-context.js';
export { type EngineView, ProxyMetrics } from './metrics/proxy-metrics.js';
export {
  type ListenAddress,
  type ProxyWorkerRole,
  type RunningProxy,
  type StartProxyOptions,
  splitHostPort,
  startProxy,
} from './proxy.js';
export type { RoutedStream, SessionRouter } from './routing/engine-router.js';
export { ProxyCredentials, type ProxyCredentialsOptions, type TlsMaterial } from './tls/proxy-credentials.js';
export {
  createTunnelWebServer,
  type DatabaseListing,
  type EngineCandidate,
  type EngineEntry,
  type EngineListing,
  EngineRegistry,
  type EngineRequestHandler,
  engineOfId,
  listEngines,
  NoEngineError,
  type OpenedSession,
  TunnelAuthError,
  TunnelServer,
  type TunnelServerOptions,
  type TunnelWebServerOptions,
} from './tunnel/index.js';
export type { LiveSessionsSource, LiveSessionView } from './web/live-sessions.js';
export { createWebServer, type ProxyWebServerOptions } from './web/web-server.js';
