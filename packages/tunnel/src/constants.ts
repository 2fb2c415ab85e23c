// Wire constants of the Gatehouse tunnel. The frame layout is described in docs/architecture.md
// ("Tunnel frames"); it is our own protocol, carried in WebSocket binary messages.

export const FrameType = {
  Open: 0x01, // OPEN: a new stream, with the session header
  OpenAck: 0x02, // OPEN_ACK: the stream is accepted, with the acceptor's receive window
  OpenReject: 0x03, // OPEN_REJECT: the stream is refused, with an error payload
  Data: 0x04, // DATA: stream bytes, bounded by the receiver's credit
  Window: 0x05, // WINDOW: credit returned to the sender as the consumer reads
  Fin: 0x06, // FIN: the sender will write no more on this stream (half-close)
  Reset: 0x07, // RESET: the stream is aborted, with a reason
  Ping: 0x08, // PING: heartbeat, echoed as PONG
  Pong: 0x09, // PONG
  Register: 0x0a, // REGISTER: the engine's identity and databases, first frame from an engine
  Update: 0x0b, // UPDATE: a full new snapshot of the engine's databases
  Request: 0x0c, // REQUEST: a control request (e.g. an audit batch), answered by RESPONSE
  Response: 0x0d, // RESPONSE: the answer to a REQUEST with the same id
} as const;

export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** type u8, flags u8 (reserved, 0), stream or request id u32 BE, payload length u32 BE. */
export const FRAME_HEADER_SIZE = 10;

/** Frames larger than this are a protocol error, checked before anything is buffered. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;

/** Protocol version sent in REGISTER, so a proxy can refuse an engine it cannot talk to. */
export const TUNNEL_PROTOCOL_VERSION = 1;
