import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_SIZE, FrameType } from './constants.js';
import { parseEnvelope } from './envelope.js';
import { TunnelProtocolError } from './errors.js';
import type { TunnelFrame } from './frames.js';
import {
  EngineRegistrationSchema,
  RequestJsonSchema,
  ResponseJsonSchema,
  StreamOpenJsonSchema,
  TunnelErrorPayloadSchema,
  validateJson,
} from './schemas.js';

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into tunnel frames. Like pg-protocol's parser it adopts a chunk as is when
 * nothing is left over, and hands out views. Because views escape to the caller (stream data is
 * queued until the consumer reads it), bytes already handed out are never overwritten: a partial
 * frame is carried into a fresh buffer instead of being compacted in place.
 */
export class FrameParser {
  readonly #maxFrameSize: number;
  #buffer: Buffer = EMPTY;
  #offset = 0;
  #length = 0;
  /** Whether #buffer is our carry buffer (writable past its end) rather than an adopted chunk. */
  #ownsBuffer = false;

  constructor(maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
    this.#maxFrameSize = maxFrameSize;
  }

  /** Bytes of an incomplete frame held until the rest arrives. */
  get bufferedBytes(): number {
    return this.#length;
  }

  parse(chunk: Buffer, onFrame: (frame: TunnelFrame) => void): void {
    this.#append(chunk);
    while (this.#length >= FRAME_HEADER_SIZE) {
      const start = this.#offset;
      const payloadLength = this.#buffer.readUInt32BE(start + 6);
      if (payloadLength > this.#maxFrameSize) {
        throw new TunnelProtocolError(`frame of ${payloadLength} bytes exceeds the limit of ${this.#maxFrameSize}`);
      }
      const total = FRAME_HEADER_SIZE + payloadLength;
      if (this.#length < total) break;
      const bytes = this.#buffer.subarray(start, start + total);
      this.#offset += total;
      this.#length -= total;
      onFrame(parseFrame(bytes));
    }
    if (this.#length === 0) {
      // Release the chunk so a queued view is all that keeps it alive.
      this.#buffer = EMPTY;
      this.#ownsBuffer = false;
      this.#offset = 0;
    }
  }

  #append(chunk: Buffer): void {
    if (this.#length === 0) {
      this.#buffer = chunk;
      this.#ownsBuffer = false;
      this.#offset = 0;
      this.#length = chunk.length;
      return;
    }
    const end = this.#offset + this.#length;
    if (this.#ownsBuffer && end + chunk.length <= this.#buffer.length) {
      chunk.copy(this.#buffer, end);
      this.#length += chunk.length;
      return;
    }
    // Size the carry buffer for the frame being assembled when its header is known, so a large
    // frame arriving in many chunks is copied once.
    let want = this.#length + chunk.length;
    if (this.#length >= FRAME_HEADER_SIZE) {
      want = Math.max(
        want,
        FRAME_HEADER_SIZE + Math.min(this.#buffer.readUInt32BE(this.#offset + 6), this.#maxFrameSize),
      );
    }
    const next = Buffer.allocUnsafe(want);
    this.#buffer.copy(next, 0, this.#offset, end);
    chunk.copy(next, this.#length);
    this.#buffer = next;
    this.#ownsBuffer = true;
    this.#offset = 0;
    this.#length += chunk.length;
  }
}

function expectStreamId(streamId: number, bytes: Buffer): void {
  if (streamId === 0) throw new TunnelProtocolError(`frame type 0x${bytes[0]!.toString(16)} needs a stream id`);
}

function expectLength(bytes: Buffer, length: number): void {
  if (bytes.length - FRAME_HEADER_SIZE !== length) {
    throw new TunnelProtocolError(`frame type 0x${bytes[0]!.toString(16)} must carry ${length} payload bytes`);
  }
}

/** Decodes one complete frame (header and payload). Throws only TunnelProtocolError. */
export function parseFrame(bytes: Buffer): TunnelFrame {
  if (bytes.length < FRAME_HEADER_SIZE) throw new TunnelProtocolError('frame shorter than its header');
  const type = bytes[0]!;
  if (bytes[1] !== 0) throw new TunnelProtocolError('frame flags are reserved and must be 0');
  const id = bytes.readUInt32BE(2);
  if (bytes.readUInt32BE(6) !== bytes.length - FRAME_HEADER_SIZE)
    throw new TunnelProtocolError('frame length mismatch');
  const payload = bytes.subarray(FRAME_HEADER_SIZE);
  switch (type) {
    case FrameType.Data:
      expectStreamId(id, bytes);
      return { kind: 'data', streamId: id, payload, bytes };
    case FrameType.Window: {
      expectStreamId(id, bytes);
      expectLength(bytes, 4);
      const increment = payload.readUInt32BE(0);
      if (increment === 0) throw new TunnelProtocolError('window increment must be positive');
      return { kind: 'window', streamId: id, increment, bytes };
    }
    case FrameType.Open: {
      expectStreamId(id, bytes);
      if (payload.length < 4) throw new TunnelProtocolError('OPEN frame is missing its window');
      const envelope = parseEnvelope(payload.subarray(4));
      const json = validateJson(StreamOpenJsonSchema, envelope.json, 'stream header');
      return {
        kind: 'open',
        streamId: id,
        window: payload.readUInt32BE(0),
        header: { ...json, clientCertChain: envelope.blobs },
        bytes,
      };
    }
    case FrameType.OpenAck:
      expectStreamId(id, bytes);
      expectLength(bytes, 4);
      return { kind: 'open-ack', streamId: id, window: payload.readUInt32BE(0), bytes };
    case FrameType.OpenReject:
    case FrameType.Reset: {
      expectStreamId(id, bytes);
      const error = validateJson(TunnelErrorPayloadSchema, parseEnvelope(payload).json, 'error payload');
      return { kind: type === FrameType.Reset ? 'reset' : 'open-reject', streamId: id, error, bytes };
    }
    case FrameType.Fin:
      expectStreamId(id, bytes);
      expectLength(bytes, 0);
      return { kind: 'fin', streamId: id, bytes };
    case FrameType.Ping:
    case FrameType.Pong:
      expectLength(bytes, 8);
      return { kind: type === FrameType.Ping ? 'ping' : 'pong', payload, bytes };
    case FrameType.Register:
    case FrameType.Update: {
      const registration = validateJson(EngineRegistrationSchema, parseEnvelope(payload).json, 'engine registration');
      return { kind: type === FrameType.Register ? 'register' : 'update', registration, bytes };
    }
    case FrameType.Request: {
      const envelope = parseEnvelope(payload);
      const json = validateJson(RequestJsonSchema, envelope.json, 'request');
      return { kind: 'request', requestId: id, method: json.method, body: json.body, blobs: envelope.blobs, bytes };
    }
    case FrameType.Response: {
      const envelope = parseEnvelope(payload);
      const json = validateJson(ResponseJsonSchema, envelope.json, 'response');
      const result = json.ok
        ? { ok: true as const, body: json.body, blobs: envelope.blobs }
        : { ok: false as const, error: json.error };
      return { kind: 'response', requestId: id, result, bytes };
    }
    default:
      throw new TunnelProtocolError(`unknown frame type 0x${type.toString(16)}`);
  }
}
