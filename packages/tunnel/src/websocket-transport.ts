// The tunnel's WebSocket writes. Each batch FrameWriter sends goes out as one RFC 6455 binary
// frame whose header FrameWriter left room for, written straight to the socket: one buffer, one
// write. ws's own send() allocates the header apart and writes header and message as two buffers,
// a writev that Node's TLS layer gathers into a fresh copy before encrypting; on small messages
// that is about a sixth of the sender's CPU per message. ws still does the opening handshake,
// all reading, ping/pong and the closing handshake; the bytes on the wire are the same as before.
// https://www.rfc-editor.org/rfc/rfc6455#section-5.2
import type { Writable } from 'node:stream';
import { TunnelError } from './errors.js';
import type { TunnelTransport } from './frame-writer.js';
import { TLS_RECORD_BYTES } from './write-coalescer.js';

/** The longest frame header: 2 bytes, a 64-bit extended payload length and a masking key. */
export const WEBSOCKET_HEADROOM = 14;

/**
 * The header of a message of 126 to 65,535 bytes: 2 bytes and a 16-bit length, and a 4-byte
 * masking key from a client. A message of one TLS record less this header reaches the peer as one
 * TLS record, so ws there reads it from one socket read as a view instead of joining reads into
 * a new buffer (which made every message of a bulk read garbage of its own, and most of the
 * receiving proxy's garbage-collector time).
 */
function recordMessageBytes(masked: boolean): number {
  return TLS_RECORD_BYTES - (masked ? 8 : 4);
}

const WsHeader = {
  FinBinary: 0x82, // FIN set, opcode 0x2: one complete binary message
  Mask: 0x80, // MASK bit of the second byte: a masking key follows the length
  Length16: 126, // payload length in the next 2 bytes
  Length64: 127, // payload length in the next 8 bytes
} as const;

/** ws's readyState for an open connection (the browser API's WebSocket.OPEN). */
const OPEN = 1;

/**
 * Writes the header of one unfragmented binary frame carrying `length` bytes so that it ends at
 * `end`, and returns where it starts. A client must mask its frames (RFC 6455 §5.3); the key here
 * is all zeros, which leaves the payload as it is: masking protects browsers' HTTP caches, not an
 * mTLS connection between our own processes (the engine used the same zero key through ws).
 */
export function writeWebSocketHeader(target: Buffer, end: number, length: number, masked: boolean): number {
  let start = end;
  if (masked) {
    start -= 4;
    target.writeUInt32BE(0, start);
  }
  const maskBit = masked ? WsHeader.Mask : 0;
  if (length < WsHeader.Length16) {
    start -= 2;
    target[start + 1] = maskBit | length;
  } else if (length <= 0xffff) {
    start -= 4;
    target[start + 1] = maskBit | WsHeader.Length16;
    target.writeUInt16BE(length, start + 2);
  } else {
    start -= 10;
    target[start + 1] = maskBit | WsHeader.Length64;
    target.writeUInt32BE(Math.floor(length / 2 ** 32), start + 2);
    target.writeUInt32BE(length >>> 0, start + 6);
  }
  target[start] = WsHeader.FinBinary;
  return start;
}

/** What the transport needs of a ws WebSocket (kept structural: common does not depend on ws). */
export interface TunnelWebSocket {
  readonly readyState: number;
  close(code: number): void;
  terminate(): void;
}

export interface WebSocketTransportOptions {
  readonly ws: TunnelWebSocket;
  /** The upgraded socket under `ws`, which ws also writes its control frames to. */
  readonly socket: Writable;
  /** True on the client (engine) side: a client's frames must be masked. */
  readonly masked: boolean;
}

/** A TunnelTransport over an open ws WebSocket that frames messages itself (see the file comment). */
export function createWebSocketTransport(options: WebSocketTransportOptions): TunnelTransport {
  const { ws, socket, masked } = options;
  // Messages wait here while one of ours is still being written, and go one per socket write:
  // a TLS socket given several buffers at once joins them into one copy and cuts the records
  // where 16 KiB fall, so messages would straddle records and the peer would join them again.
  const waiting: { frame: Buffer; done: (err?: Error) => void }[] = [];
  let inFlight = 0;
  const closedError = (): TunnelError => new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel WebSocket is not open');
  const write = (frame: Buffer, done: (err?: Error) => void): void => {
    inFlight++;
    socket.write(frame, (err) => {
      inFlight--;
      done(err ?? undefined);
      writeWaiting();
    });
  };
  const writeWaiting = (): void => {
    while (waiting.length > 0 && (inFlight === 0 || socket.writableLength === 0)) {
      const next = waiting.shift()!;
      // Once ws has begun closing, its close frame may be on the wire: no data frame may follow.
      if (ws.readyState !== OPEN) next.done(closedError());
      else write(next.frame, next.done);
    }
  };
  return {
    headroom: WEBSOCKET_HEADROOM,
    maxMessageBytes: recordMessageBytes(masked),
    send(buffer, done) {
      if (ws.readyState !== OPEN) {
        process.nextTick(done, closedError());
        return;
      }
      const start = writeWebSocketHeader(buffer, WEBSOCKET_HEADROOM, buffer.length - WEBSOCKET_HEADROOM, masked);
      const frame = buffer.subarray(start);
      // The socket is idle (or busy only with ws's own control frames): straight to it.
      if (waiting.length === 0 && (inFlight === 0 || socket.writableLength === 0)) write(frame, done);
      else waiting.push({ frame, done });
    },
    close: () => ws.close(1000),
    terminate: () => ws.terminate(),
  };
}
