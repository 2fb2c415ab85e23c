// Public surface of the tunnel area; see docs/architecture.md.
export { DEFAULT_MAX_FRAME_SIZE, TUNNEL_PROTOCOL_VERSION } from './constants.js';
export { type Envelope, parseEnvelope, serializeEnvelope } from './envelope.js';
export { TunnelError, TunnelProtocolError } from './errors.js';
export { FrameParser, parseFrame } from './frame-parser.js';
export {
  serializeData,
  serializeFin,
  serializePing,
  serializeRequest,
  serializeWindow,
} from './frame-serializer.js';
export type { TunnelTransport } from './frame-writer.js';
export type { RequestResult } from './frames.js';
export { createInMemoryTunnelLink, type InMemoryTunnelEnd, type TunnelPeer } from './in-memory-link.js';
export type { RequestHandler, TunnelReply, TunnelRequest } from './request-table.js';
export {
  type BackendInfo,
  BackendInfoSchema,
  type DatabaseHealth,
  type DatabaseInfo,
  DatabaseInfoSchema,
  type EngineRegistration,
  EngineRegistrationSchema,
  type EngineState,
  EngineStateSchema,
  type Route,
  type StreamOpenHeader,
  type TunnelErrorPayload,
} from './schemas.js';
export {
  type HandlerFailure,
  type IncomingStream,
  type OpenStreamOptions,
  TunnelConnection,
  type TunnelConnectionOptions,
} from './tunnel-connection.js';
export { TunnelStream, type TunnelStreamStats } from './tunnel-stream.js';
export {
  createWebSocketTransport,
  type TunnelWebSocket,
  WEBSOCKET_HEADROOM,
  type WebSocketTransportOptions,
} from './websocket-transport.js';
export { TLS_RECORD_BYTES, WriteCoalescer, type WriteCoalescerOptions } from './write-coalescer.js';
