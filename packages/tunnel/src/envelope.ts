import { TunnelProtocolError } from './errors.js';

// A binary-safe payload shared by every frame that carries structured data: a JSON document
// plus opaque byte strings (certificate DER, event batches) that JSON would have to re-encode.
//   u32 BE json length | json (UTF-8) | u16 BE blob count | (u32 BE length | bytes) * count
// New fields go into the JSON, new binary parts into the blob list; old peers ignore both.

export interface Envelope {
  readonly json: unknown;
  readonly blobs: readonly Buffer[];
}

const MAX_BLOBS = 0xffff;

export function serializeEnvelope(json: unknown, blobs: readonly Uint8Array[] = []): Buffer {
  if (blobs.length > MAX_BLOBS) throw new RangeError(`an envelope holds at most ${MAX_BLOBS} blobs`);
  const text = JSON.stringify(json ?? null);
  const jsonLength = Buffer.byteLength(text);
  let size = 4 + jsonLength + 2;
  for (const blob of blobs) size += 4 + blob.byteLength;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(jsonLength, 0);
  out.write(text, 4, 'utf8');
  let offset = 4 + jsonLength;
  out.writeUInt16BE(blobs.length, offset);
  offset += 2;
  for (const blob of blobs) {
    out.writeUInt32BE(blob.byteLength, offset);
    out.set(blob, offset + 4);
    offset += 4 + blob.byteLength;
  }
  return out;
}

/** Blobs are views into `bytes`; copy them if they must outlive the frame. */
export function parseEnvelope(bytes: Buffer): Envelope {
  if (bytes.length < 6) throw new TunnelProtocolError('envelope shorter than its fixed fields');
  const jsonLength = bytes.readUInt32BE(0);
  if (jsonLength > bytes.length - 6) throw new TunnelProtocolError('envelope JSON runs past the payload');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8', 4, 4 + jsonLength));
  } catch (err) {
    throw new TunnelProtocolError('envelope JSON is not valid', { cause: err });
  }
  let offset = 4 + jsonLength;
  const count = bytes.readUInt16BE(offset);
  offset += 2;
  const blobs: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) throw new TunnelProtocolError('envelope blob length runs past the payload');
    const length = bytes.readUInt32BE(offset);
    offset += 4;
    if (length > bytes.length - offset) throw new TunnelProtocolError('envelope blob runs past the payload');
    blobs.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) throw new TunnelProtocolError('envelope has trailing bytes');
  return { json, blobs };
}
