import { FRAME_HEADER_SIZE, FrameType, type FrameTypeCode } from './constants.js';
import { serializeEnvelope } from './envelope.js';
import type { RequestResult } from './frames.js';
import type { EngineRegistration, StreamOpenHeader, TunnelErrorPayload } from './schemas.js';

export function writeFrameHeader(
  target: Buffer,
  offset: number,
  type: FrameTypeCode,
  id: number,
  length: number,
): void {
  target[offset] = type;
  target[offset + 1] = 0;
  target.writeUInt32BE(id, offset + 2);
  target.writeUInt32BE(length, offset + 6);
}

/** One frame in one new buffer. The hot path (DATA) goes through FrameWriter instead. */
export function serializeFrame(type: FrameTypeCode, id: number, payload?: Uint8Array): Buffer {
  const length = payload?.byteLength ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + length);
  writeFrameHeader(out, 0, type, id, length);
  if (payload !== undefined) out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

export function serializeOpen(streamId: number, window: number, header: StreamOpenHeader): Buffer {
  const { clientCertChain, ...json } = header;
  return serializeFrame(
    FrameType.Open,
    streamId,
    Buffer.concat([u32(window), serializeEnvelope(json, clientCertChain)]),
  );
}

export function serializeOpenAck(streamId: number, window: number): Buffer {
  return serializeFrame(FrameType.OpenAck, streamId, u32(window));
}

export function serializeOpenReject(streamId: number, error: TunnelErrorPayload): Buffer {
  return serializeFrame(FrameType.OpenReject, streamId, serializeEnvelope(error));
}

export function serializeData(streamId: number, payload: Uint8Array): Buffer {
  return serializeFrame(FrameType.Data, streamId, payload);
}

export function serializeWindow(streamId: number, increment: number): Buffer {
  return serializeFrame(FrameType.Window, streamId, u32(increment));
}

export function serializeFin(streamId: number): Buffer {
  return serializeFrame(FrameType.Fin, streamId);
}

export function serializeReset(streamId: number, error: TunnelErrorPayload): Buffer {
  return serializeFrame(FrameType.Reset, streamId, serializeEnvelope(error));
}

export function serializePing(payload: Uint8Array): Buffer {
  return serializeFrame(FrameType.Ping, 0, payload);
}

export function serializePong(payload: Uint8Array): Buffer {
  return serializeFrame(FrameType.Pong, 0, payload);
}

export function serializeRegistration(kind: 'register' | 'update', registration: EngineRegistration): Buffer {
  return serializeFrame(
    kind === 'register' ? FrameType.Register : FrameType.Update,
    0,
    serializeEnvelope(registration),
  );
}

export function serializeRequest(
  requestId: number,
  method: string,
  body: unknown,
  blobs: readonly Uint8Array[] = [],
): Buffer {
  return serializeFrame(FrameType.Request, requestId, serializeEnvelope({ method, body: body ?? null }, blobs));
}

export function serializeResponse(requestId: number, result: RequestResult): Buffer {
  const payload = result.ok
    ? serializeEnvelope({ ok: true, body: result.body ?? null }, result.blobs)
    : serializeEnvelope({ ok: false, error: result.error });
  return serializeFrame(FrameType.Response, requestId, payload);
}
