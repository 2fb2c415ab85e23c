export { type EngineListing, listEngines } from './engine-listing.js';
export {
  type DatabaseListing,
  type EngineCandidate,
  type EngineEntry,
  EngineRegistry,
  NoEngineError,
} from './engine-registry.js';
export { engineOfId, isEngineIdOf, TunnelAuthError, verifyEnginePeer } from './peer-identity.js';
export {
  type EngineRequestHandler,
  type OpenedSession,
  TUNNEL_PATH,
  TunnelServer,
  type TunnelServerOptions,
} from './tunnel-server.js';
export { createTunnelWebServer, registerTunnelRoutes, type TunnelWebServerOptions } from './tunnel-web-server.js';
